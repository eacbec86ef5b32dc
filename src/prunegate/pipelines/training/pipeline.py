"""Training pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.model_inputs import MODEL_INPUTS, model_inputs_node
from prunegate.pipelines.training.nodes import train_dense_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            model_inputs_node(),
            node(
                train_dense_model,
                inputs=[
                    MODEL_INPUTS,
                    "params:training",
                    "params:ingestion",
                    "params:profiling",
                ],
                outputs=["dense_model", "dense_metrics", "dense_training_history"],
                name="train_dense_model",
            ),
        ]
    )
