"""Pruning sweep pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.model_inputs import MODEL_INPUTS, model_inputs_node
from prunegate.pipelines.pruning_sweep.nodes import sweep_pruning


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            model_inputs_node(),
            node(
                sweep_pruning,
                inputs=[
                    "dense_model",
                    MODEL_INPUTS,
                    "dense_metrics",
                    "params:pruning_sweep",
                    "params:pruning",
                    "params:training",
                    "params:profiling",
                ],
                outputs=["sweep_table", "sweep_plot_sparsity", "sweep_plot_macs"],
                name="sweep_pruning",
            ),
        ]
    )
