"""Turn Great Expectations results into short, JSON-safe failure records and a readable message.

The GX result objects are only read through their attributes here, so this module never imports
Great Expectations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "MAX_OFFENDING_VALUES",
    "DataValidationError",
    "failure_from_result",
    "format_failures",
    "json_safe",
]

MAX_OFFENDING_VALUES = 5
"""How many offending values a failure record keeps."""


class DataValidationError(ValueError):
    """Raised when tables break their data schema; the message lists every failed expectation.

    Attributes:
        result: The dict returned by :func:`~prunegate.validation.expectations.validate_tables`.
    """

    def __init__(self, result: Mapping[str, Any]) -> None:
        super().__init__(format_failures(result))
        self.result = result


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and non-finite floats as strings (``"inf"``)."""
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return str(value)


def _bounds(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    return f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"


def _columns_message(kwargs: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    mismatched = result.get("details", {}).get("mismatched", {})
    parts = [f"{kind} columns: {', '.join(map(str, names))}" for kind, names in mismatched.items() if names]
    return "; ".join(parts) or "columns do not match the schema"


def _type_message(kwargs: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    if "unexpected_count" in result:
        return f"{result['unexpected_count']} non-numeric values in an object column"
    return f"dtype {result.get('observed_value')} is not numeric"


_MESSAGES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], str]] = {
    "expect_table_columns_to_match_set": _columns_message,
    "expect_table_row_count_to_be_between": lambda kwargs, result: (
        f"row count {result.get('observed_value')} outside {_bounds(kwargs)}"
    ),
    "expect_column_values_to_be_in_type_list": _type_message,
    "expect_column_values_to_not_be_null": lambda kwargs, result: (
        f"{result.get('unexpected_count')} null values"
    ),
    "expect_column_values_to_be_between": lambda kwargs, result: (
        f"{result.get('unexpected_count')} values outside {_bounds(kwargs)} (infinities included)"
    ),
    "expect_column_values_to_be_in_set": lambda kwargs, result: (
        f"{result.get('unexpected_count')} values not in the label set {list(kwargs.get('value_set', []))}"
    ),
}


def _exception_message(exception_info: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if one was raised."""
    if not isinstance(exception_info, Mapping):
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, Mapping) and info.get("raised_exception"):
            return str(info.get("exception_message") or "unknown error").strip().splitlines()[-1]
    return None


def failure_from_result(table: str, expectation_result: Any) -> dict[str, Any]:
    """A JSON-safe failure record from one failed GX ``ExpectationValidationResult``.

    Args:
        table: Name of the validated table.
        expectation_result: The failed result (``result.results[i]`` of a GX validation).

    Returns:
        ``{"table", "expectation", "column", "observed", "offending_values", "message"}``.
    """
    config = expectation_result.expectation_config
    kwargs = dict(config.kwargs)
    result = dict(expectation_result.result or {})
    raised = _exception_message(expectation_result.exception_info)
    if config.type == "expect_table_columns_to_match_set":
        mismatched = result.get("details", {}).get("mismatched", {})
        offending = [*mismatched.get("missing", []), *mismatched.get("unexpected", [])]
        observed: Any = {kind: names for kind, names in mismatched.items() if names}
    else:
        offending = list(result.get("partial_unexpected_list") or [])
        observed = result.get("observed_value", result.get("unexpected_count"))
    if raised is not None:
        message = f"could not be evaluated: {raised}"
    else:
        message = _MESSAGES.get(config.type, lambda _k, _r: "expectation failed")(kwargs, result)
    return {
        "table": table,
        "expectation": config.type,
        "column": kwargs.get("column"),
        "observed": json_safe(observed),
        "offending_values": json_safe(offending[:MAX_OFFENDING_VALUES]),
        "message": message,
    }


def format_failures(result: Mapping[str, Any]) -> str:
    """A multi-line message listing every failed expectation of a :func:`validate_tables` result.

    Args:
        result: The dict returned by ``validate_tables``.

    Returns:
        One header line, then one line per failure: table, column, expectation, message, observed value
        and a few offending values.
    """
    tables: Mapping[str, Any] = result.get("tables", {})
    failures = [failure for table in tables.values() for failure in table.get("failures", [])]
    if not failures:
        return f"Data validation passed: {len(tables)} tables, no failed expectation."
    failed_tables = sorted({failure["table"] for failure in failures})
    lines = [
        f"Data validation failed: {len(failures)} failed expectations in "
        f"{len(failed_tables)} of {len(tables)} tables ({', '.join(failed_tables)}):"
    ]
    for failure in failures:
        column = "(table)" if failure["column"] is None else repr(failure["column"])
        line = (
            f"  - table {failure['table']}, column {column}: {failure['expectation']}: {failure['message']}"
        )
        if failure["observed"] is not None:
            line += f"; observed {failure['observed']}"
        if failure["offending_values"]:
            line += f"; offending values {failure['offending_values']}"
        lines.append(line)
    return "\n".join(lines)
