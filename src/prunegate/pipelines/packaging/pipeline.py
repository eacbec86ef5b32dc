"""Packaging pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.packaging.nodes import package_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                package_model,
                inputs=["shipped_model", "blessing", "candidate_metrics", "data_schema", "params:packaging"],
                outputs="packaging_info",
                name="package_model",
            )
        ]
    )
