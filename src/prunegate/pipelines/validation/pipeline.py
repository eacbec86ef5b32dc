"""Validation pipeline: the result and report are saved first, then the run stops if it failed."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.validation.nodes import render_validation_report, require_valid_data, validate_data


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                validate_data,
                inputs=[
                    "raw_table",
                    "train_table",
                    "val_table",
                    "test_table",
                    "data_schema",
                    "params:ingestion",
                ],
                outputs="validation_result",
                name="validate_data",
            ),
            node(
                render_validation_report,
                inputs="validation_result",
                outputs="validation_report",
                name="render_validation_report",
            ),
            node(
                require_valid_data,
                inputs=["validation_result", "train_table", "val_table", "test_table", "validation_report"],
                outputs="validated_splits",
                name="require_valid_data",
            ),
        ]
    )
