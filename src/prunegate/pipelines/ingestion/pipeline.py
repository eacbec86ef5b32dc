"""Ingestion pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.ingestion.nodes import split_raw_table


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                split_raw_table,
                inputs=["raw_table", "params:ingestion"],
                outputs=["train_table", "val_table", "test_table", "leakage_report"],
                name="split_raw_table",
            )
        ]
    )
