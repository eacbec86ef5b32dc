"""Nodes of the validation pipeline. Great Expectations is imported lazily, inside ``validate_tables``."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from prunegate.data.tables import table_fingerprint
from prunegate.params import ConfigError, IngestionParams
from prunegate.validation import DataSchema, DataValidationError, render_markdown
from prunegate.validation.expectations import validate_tables

logger = logging.getLogger(__name__)


def _check_schema_matches_ingestion(schema: DataSchema, ingestion: IngestionParams) -> None:
    if schema.target_column != ingestion.target_column:
        raise ConfigError(
            f"conf/base/data_schema.yml target_column {schema.target_column!r} differs from "
            f"ingestion.target_column {ingestion.target_column!r}"
        )
    if ingestion.feature_columns is not None and set(ingestion.feature_columns) != set(
        schema.feature_columns
    ):
        missing = sorted(set(ingestion.feature_columns) - set(schema.feature_columns))
        extra = sorted(set(schema.feature_columns) - set(ingestion.feature_columns))
        raise ConfigError(
            "ingestion.feature_columns and conf/base/data_schema.yml feature_columns differ: "
            f"only in parameters {missing[:5]}, only in schema {extra[:5]}"
        )


def validate_data(
    raw_table: pd.DataFrame,
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    data_schema: dict[str, Any],
    ingestion: IngestionParams,
) -> dict[str, Any]:
    """Run the schema's expectations on the raw table and each split; never raises on bad data.

    Returns:
        The JSON result (per table: success, rows, failures), saved before the run is stopped.
    """
    schema = DataSchema.model_validate(data_schema)
    _check_schema_matches_ingestion(schema, ingestion)
    tables = {"raw": raw_table, "train": train_table, "val": val_table, "test": test_table}
    result = validate_tables(tables, schema)
    logger.info("data validation %s", "passed" if result["success"] else "FAILED")
    return result


def render_validation_report(validation_result: dict[str, Any]) -> str:
    """The readable (markdown) report of a validation result."""
    return render_markdown(validation_result)


def require_valid_data(
    validation_result: dict[str, Any],
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    validation_report: str,
) -> dict[str, Any]:
    """Stop the run when validation failed; otherwise certify the exact splits that were validated.

    ``validation_report`` is an input only so that Kedro saves the report before this node can stop the run.

    Raises:
        DataValidationError: listing every failed expectation (table, column, expectation, observed).

    Returns:
        ``{"passed": True, "fingerprints": {split: hash}}``: training checks its inputs against it.
    """
    if not validation_result["success"]:
        raise DataValidationError(validation_result)
    splits = {"train": train_table, "val": val_table, "test": test_table}
    return {
        "passed": True,
        "fingerprints": {name: table_fingerprint(table) for name, table in splits.items()},
    }
