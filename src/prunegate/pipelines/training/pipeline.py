"""Training pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.training.nodes import train_dense_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                train_dense_model,
                inputs=[
                    "train_table",
                    "val_table",
                    "test_table",
                    "validated_splits",
                    "params:training",
                    "params:ingestion",
                    "params:profiling",
                ],
                outputs=["dense_model", "dense_metrics", "dense_training_history"],
                name="train_dense_model",
            )
        ]
    )
