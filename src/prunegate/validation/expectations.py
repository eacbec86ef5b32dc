"""Validate the raw table and its splits against a :class:`DataSchema` with Great Expectations 1.x.

Great Expectations costs seconds to import, so it is imported inside the functions only: importing this
module stays cheap. One ephemeral context (no files, no analytics, no progress bars) serves a whole call;
the column suite is built once per distinct (columns present, row bounds) and run on each table, and the
per-class checks run once on a small counts table covering every table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prunegate.validation.failures import (
    MAX_OFFENDING_VALUES,
    DataValidationError,
    failure_from_result,
    format_failures,
    json_safe,
)
from prunegate.validation.schema import DataSchema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RAW_TABLE", "DataValidationError", "format_failures", "validate_tables"]

logger = logging.getLogger(__name__)

RAW_TABLE = "raw"
"""The table checked against ``row_count``; every other table is a split (``min_rows_per_split``)."""

NUMERIC_TYPES = (
    *("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
    *("float16", "float32", "float64", "Int8", "Int16", "Int32", "Int64", "Float32", "Float64"),
    # Python numbers: an object column of numbers passes, and only its non-numbers are reported.
    *("int", "float"),
)
"""Accepted feature dtypes (``bool`` is deliberately absent)."""

GX_LOG_LEVEL = logging.WARNING
"""Level of the ``great_expectations`` logger while validating (it is chatty at INFO)."""

RESULT_FORMAT = "BASIC"
"""GX result format of the column suite: counts and a partial list of offending values (``SUMMARY``, which
adds value counts and row indices, took about twice as long on the digits tables)."""

_TABLE, _LABEL, _COUNT, _SHARE = "table", "label", "count", "share"


def validate_tables(tables: Mapping[str, pd.DataFrame], schema: DataSchema) -> dict[str, Any]:
    """Validate every table against ``schema`` and collect every failed expectation.

    The table named ``"raw"`` is checked against ``schema.row_count``, the others (the splits) against
    ``schema.min_rows_per_split``. Each table is checked for: its column set (exact unless
    ``allow_extra_columns``), numeric feature dtypes, no nulls, feature values within their finite range
    (which also catches infinities), labels within the label set, row-count bounds, and, per label, a
    minimum row count and share bounds. A column missing from a table is reported once by the column-set
    expectation and gets no per-column expectations.

    Args:
        tables: Table name to DataFrame, e.g. ``{"raw": df, "train": ..., "val": ..., "test": ...}``.
        schema: The data contract.

    Returns:
        A JSON-serialisable dict ``{"success": bool, "tables": {name: {"success", "rows",
        "evaluated_expectations", "failures": [...]}}}``; each failure holds ``table``, ``expectation``,
        ``column``, ``observed``, ``offending_values`` and ``message``.
    """
    gx, batch_definition = _ephemeral_batch_definition()
    suites: dict[tuple[Any, ...], Any] = {}
    report: dict[str, dict[str, Any]] = {}
    for name, df in tables.items():
        present = tuple(column for column in schema.expected_columns if column in df.columns)
        bounds = _row_bounds(name, schema)
        key = (present, bounds)
        if key not in suites:
            suites[key] = _column_suite(gx, schema, set(present), bounds, suite_name=f"columns_{len(suites)}")
        numeric, not_numbers = _parse_numbers(df, schema)
        validation = batch_definition.get_batch(batch_parameters={"dataframe": numeric}).validate(
            suites[key], result_format=RESULT_FORMAT
        )
        failures = [
            failure_from_result(name, r)
            for r in validation.results
            if not r.success and r.expectation_config.kwargs.get("column") not in not_numbers
        ]
        failures += [_not_numbers_failure(name, column, values) for column, values in not_numbers.items()]
        failures += _duplicate_failures(name, df, schema)
        failures.sort(key=lambda failure: failure["column"] is not None)  # table-level failures first
        report[name] = {
            "success": False,  # set once the per-class checks are in
            "rows": len(df),
            "evaluated_expectations": len(validation.results),
            "failures": failures,
        }
    _check_class_balance(gx, batch_definition, tables, schema, report)
    for entry in report.values():
        entry["success"] = not entry["failures"]
    success = all(entry["success"] for entry in report.values())
    logger.info("Data validation of %s: %s", ", ".join(report), "passed" if success else "FAILED")
    return {"success": success, "tables": report}


NOT_NUMBERS = "values_are_numbers"
"""Name of prunegate's own check that every value of a feature column is a number (not a GX expectation)."""


def _parse_numbers(df: pd.DataFrame, schema: DataSchema) -> tuple[pd.DataFrame, dict[str, list[Any]]]:
    """``df`` with text feature columns parsed as numbers, and the values that are not numbers.

    A CSV column with one stray word (``oops``) is read as text, every value a string; checking its
    types would name ``'0.0'`` and ``'16.0'`` as offenders and never ``'oops'``. Parsing first names
    exactly the values that are not numbers; GX's own checks of such a column are not reported (they
    would count those values again as nulls or wrong types).
    """
    import pandas as pd

    parsed_df, not_numbers = df, {}
    for column in schema.feature_columns:
        if column not in df.columns or df[column].dtype != object:
            continue
        parsed = pd.to_numeric(df[column], errors="coerce")
        rejected = df[column][parsed.isna() & df[column].notna()]
        if parsed_df is df:
            parsed_df = df.copy()
        parsed_df[column] = parsed
        if len(rejected):
            not_numbers[column] = rejected.tolist()
    return parsed_df, not_numbers


DUPLICATE_ROWS = "duplicate_row_share"
"""Name of prunegate's own check of the share of rows that repeat an earlier row exactly."""


def _duplicate_failures(table: str, df: pd.DataFrame, schema: DataSchema) -> list[dict[str, Any]]:
    limit = schema.max_duplicate_share
    columns = [column for column in schema.expected_columns if column in df.columns]
    if limit is None or df.empty or not columns:
        return []
    repeated = df.duplicated(subset=columns)
    share = float(repeated.mean())
    if share <= limit:
        return []
    return [
        {
            "table": table,
            "expectation": DUPLICATE_ROWS,
            "column": None,
            "observed": round(share, 4),
            "offending_values": [int(index) for index in df.index[repeated][:MAX_OFFENDING_VALUES]],
            "message": f"{int(repeated.sum())} rows ({share:.1%}) repeat an earlier row exactly, more than "
            f"max_duplicate_share {limit:.1%} (offending values: row labels)",
        }
    ]


def _not_numbers_failure(table: str, column: str, values: list[Any]) -> dict[str, Any]:
    distinct = list(dict.fromkeys(str(value) for value in values))
    return {
        "table": table,
        "expectation": NOT_NUMBERS,
        "column": column,
        "observed": len(values),
        "offending_values": distinct[:MAX_OFFENDING_VALUES],
        "message": f"{len(values)} values are not numbers",
    }


def _ephemeral_batch_definition() -> tuple[Any, Any]:
    """Import GX quietly and return it with a whole-DataFrame batch definition of a fresh context."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(GX_LOG_LEVEL)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("prunegate").add_dataframe_asset("tables")
    return gx, asset.add_batch_definition_whole_dataframe("whole_table")


def _row_bounds(name: str, schema: DataSchema) -> tuple[int, int | None]:
    """``(min, max)`` row bounds of the table called ``name``."""
    if name == RAW_TABLE:
        return schema.row_count.min, schema.row_count.max
    return schema.min_rows_per_split, None


def _column_suite(
    gx: Any, schema: DataSchema, present: set[str], bounds: tuple[int, int | None], suite_name: str
) -> Any:
    """Expectation suite of a table's columns; per-column expectations only for ``present`` columns."""
    expect = gx.expectations
    expectations = [
        expect.ExpectTableColumnsToMatchSet(
            column_set=schema.expected_columns, exact_match=not schema.allow_extra_columns
        ),
        expect.ExpectTableRowCountToBeBetween(min_value=bounds[0], max_value=bounds[1]),
    ]
    for column, value_range in schema.feature_columns.items():
        if column in present:
            expectations += [
                expect.ExpectColumnValuesToBeInTypeList(column=column, type_list=list(NUMERIC_TYPES)),
                expect.ExpectColumnValuesToNotBeNull(column=column),
                expect.ExpectColumnValuesToBeBetween(
                    column=column, min_value=value_range.min, max_value=value_range.max
                ),
            ]
    if schema.target_column in present:
        expectations += [
            expect.ExpectColumnValuesToNotBeNull(column=schema.target_column),
            expect.ExpectColumnValuesToBeInSet(column=schema.target_column, value_set=list(schema.labels)),
        ]
    return gx.ExpectationSuite(name=suite_name, expectations=expectations)


def _class_counts(tables: Mapping[str, pd.DataFrame], schema: DataSchema) -> pd.DataFrame:
    """Rows and share of every schema label (zero-row labels included) in every table with a target."""
    import pandas as pd

    frames = []
    for name, df in tables.items():
        if schema.target_column not in df.columns:
            continue
        observed = df[schema.target_column].value_counts(dropna=True)
        counts = [int(observed.get(label, 0)) for label in schema.labels]
        frames.append(
            pd.DataFrame(
                {
                    _TABLE: name,
                    _LABEL: pd.Series(schema.labels, dtype=object),
                    _COUNT: counts,
                    _SHARE: [count / len(df) if len(df) else 0.0 for count in counts],
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _check_class_balance(
    gx: Any,
    batch_definition: Any,
    tables: Mapping[str, pd.DataFrame],
    schema: DataSchema,
    report: dict[str, dict[str, Any]],
) -> None:
    """Validate per-label row counts and shares of every table in one GX run; add failures to ``report``."""
    counts = _class_counts(tables, schema)
    if counts.empty:
        return
    share = schema.class_share
    problems = {
        _COUNT: f"fewer than min_rows_per_class={schema.min_rows_per_class} rows",
        _SHARE: f"a share outside class_share [{share.min}, {share.max}]",
    }
    suite = gx.ExpectationSuite(
        name="class_balance",
        expectations=[
            gx.expectations.ExpectColumnValuesToBeBetween(column=_COUNT, min_value=schema.min_rows_per_class),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=_SHARE, min_value=share.min, max_value=share.max
            ),
        ],
    )
    validation = batch_definition.get_batch(batch_parameters={"dataframe": counts}).validate(
        suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [_TABLE, _LABEL]}
    )
    for name in counts[_TABLE].unique():
        report[name]["evaluated_expectations"] += len(validation.results)
    for expectation_result in validation.results:
        if expectation_result.success:
            continue
        column = expectation_result.expectation_config.kwargs["column"]
        offenders: dict[str, dict[Any, Any]] = {}
        for row in expectation_result.result.get("unexpected_index_list") or []:
            offenders.setdefault(row[_TABLE], {})[row[_LABEL]] = row[column]
        for name, by_label in offenders.items():
            report[name]["failures"].append(
                _class_failure(name, schema.target_column, expectation_result, problems[column], by_label)
            )
        if not offenders:  # GX raised while evaluating: report it on every table it covered
            for name in counts[_TABLE].unique():
                report[name]["failures"].append(failure_from_result(name, expectation_result))


def _class_failure(
    table: str, target: str, expectation_result: Any, problem: str, by_label: dict[Any, Any]
) -> dict[str, Any]:
    """Failure record of the labels of one table that break a per-class check."""
    labels = list(by_label)
    return {
        "table": table,
        "expectation": expectation_result.expectation_config.type,
        "column": target,
        "observed": json_safe(by_label),
        "offending_values": json_safe(labels[:MAX_OFFENDING_VALUES]),
        "message": f"{len(labels)} labels with {problem}: "
        + ", ".join(f"{label!r} ({json_safe(value):.3g})" for label, value in by_label.items()),
    }
