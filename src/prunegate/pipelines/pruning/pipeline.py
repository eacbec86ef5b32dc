"""Pruning pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.model_inputs import MODEL_INPUTS, model_inputs_node
from prunegate.pipelines.pruning.nodes import prune_dense_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            model_inputs_node(),
            node(
                prune_dense_model,
                inputs=[
                    "dense_model",
                    MODEL_INPUTS,
                    "params:pruning",
                    "params:training",
                    "params:profiling",
                ],
                outputs=["pruned_model", "pruned_metrics", "pruning_report"],
                name="prune_dense_model",
            ),
        ]
    )
