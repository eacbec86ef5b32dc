"""Packaging pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.model_inputs import MODEL_INPUTS, model_inputs_node
from prunegate.pipelines.packaging.nodes import package_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            model_inputs_node(),
            node(
                package_model,
                inputs=[
                    "shipped_model",
                    "blessing",
                    "candidate_metrics",
                    "evaluation_metrics",
                    "data_schema",
                    MODEL_INPUTS,
                    "params:packaging",
                ],
                outputs=["packaging_info", "model_card"],
                name="package_model",
            ),
        ]
    )
