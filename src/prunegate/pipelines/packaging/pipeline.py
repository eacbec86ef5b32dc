"""Packaging pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.packaging.nodes import package_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                package_model,
                inputs=[
                    "shipped_model",
                    "blessing",
                    "candidate_metrics",
                    "evaluation_metrics",
                    "data_schema",
                    "train_table",
                    "val_table",
                    "test_table",
                    "validated_splits",
                    "params:packaging",
                    "params:ingestion",
                ],
                outputs=["packaging_info", "model_card"],
                name="package_model",
            )
        ]
    )
