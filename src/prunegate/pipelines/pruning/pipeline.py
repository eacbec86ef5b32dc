"""Pruning pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.pruning.nodes import prune_dense_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                prune_dense_model,
                inputs=[
                    "dense_model",
                    "train_table",
                    "val_table",
                    "test_table",
                    "validated_splits",
                    "params:pruning",
                    "params:training",
                    "params:ingestion",
                    "params:profiling",
                ],
                outputs=["pruned_model", "pruned_metrics", "pruning_report"],
                name="prune_dense_model",
            )
        ]
    )
