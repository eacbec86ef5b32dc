"""Pruning sweep pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.pruning_sweep.nodes import sweep_pruning


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                sweep_pruning,
                inputs=[
                    "dense_model",
                    "train_table",
                    "val_table",
                    "test_table",
                    "validated_splits",
                    "dense_metrics",
                    "params:pruning_sweep",
                    "params:pruning",
                    "params:training",
                    "params:ingestion",
                    "params:profiling",
                ],
                outputs=["sweep_table", "sweep_plot_sparsity", "sweep_plot_macs"],
                name="sweep_pruning",
            )
        ]
    )
