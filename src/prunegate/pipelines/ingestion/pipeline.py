"""Ingestion pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.ingestion.nodes import append_feedback, split_raw_table


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                append_feedback,
                inputs=["raw_table", "feedback_table"],
                outputs="raw_with_feedback",
                name="append_feedback",
            ),
            node(
                split_raw_table,
                inputs=["raw_with_feedback", "params:ingestion"],
                outputs=["train_table", "val_table", "test_table", "leakage_report"],
                name="split_raw_table",
            ),
        ]
    )
