"""Distillation pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.distillation.nodes import distill_student


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                distill_student,
                inputs=[
                    "dense_model",
                    "pruned_model",
                    "train_table",
                    "val_table",
                    "test_table",
                    "validated_splits",
                    "params:distillation",
                    "params:ingestion",
                    "params:profiling",
                ],
                outputs=["distilled_model", "distilled_metrics", "distillation_report"],
                name="distill_student",
            )
        ]
    )
