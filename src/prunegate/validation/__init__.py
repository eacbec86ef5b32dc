"""Data validation: a YAML data schema and its Great Expectations 1.x checks on the raw table and splits.

Importing this package is cheap: Great Expectations is imported only when :func:`validate_tables` runs.

Example:
    >>> schema = infer_schema(raw, target_column="target")  # doctest: +SKIP
    >>> result = validate_tables({"raw": raw, "train": train}, schema)  # doctest: +SKIP
    >>> if not result["success"]:  # doctest: +SKIP
    ...     raise DataValidationError(result)
"""

from prunegate.validation.expectations import RAW_TABLE, validate_tables
from prunegate.validation.failures import DataValidationError, format_failures
from prunegate.validation.report import render_markdown
from prunegate.validation.schema import (
    ColumnRange,
    DataSchema,
    RowCount,
    ShareBounds,
    dump_schema,
    infer_schema,
    load_schema,
)

__all__ = [
    "RAW_TABLE",
    "ColumnRange",
    "DataSchema",
    "DataValidationError",
    "RowCount",
    "ShareBounds",
    "dump_schema",
    "format_failures",
    "infer_schema",
    "load_schema",
    "render_markdown",
    "validate_tables",
]
