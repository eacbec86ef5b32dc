"""A Markdown report of a data validation result, for humans and for CI artifacts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from prunegate.reporting.markdown import markdown_table

__all__ = ["render_markdown"]

PASSED, FAILED = "✓", "✗"
MAX_CELL_CHARS = 120
"""Longer cells (long observed values or messages) are cut, with an ellipsis."""


def _cell(value: Any) -> str | None:
    """``value`` as one cell's text: JSON for containers, backslashes kept, bounded (pipes: the table)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\\", "\\\\")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _mark(success: bool) -> str:
    return PASSED if success else FAILED


def render_markdown(result: Mapping[str, Any], title: str = "Data validation report") -> str:
    """Render a :func:`~prunegate.validation.expectations.validate_tables` result as Markdown.

    Args:
        result: The validation result dict.
        title: Heading of the report.

    Returns:
        The report: an overall verdict, a ✓/✗ summary table of the tables, then one section per table
        with its failures table (or a line saying every expectation passed).
    """
    tables: Mapping[str, Mapping[str, Any]] = result.get("tables", {})
    verdict = "passed" if result.get("success") else "FAILED"
    lines = [
        f"# {title}",
        "",
        f"**{_mark(bool(result.get('success')))} Data validation {verdict}** ({len(tables)} tables).",
        "",
    ]
    lines += markdown_table(
        ("Table", "Result", "Rows", "Expectations", "Failed"),
        [
            (
                name,
                _mark(entry["success"]),
                entry["rows"],
                entry["evaluated_expectations"],
                len(entry["failures"]),
            )
            for name, entry in tables.items()
        ],
        ("left", "center", "right", "right", "right"),
    )
    for name, entry in tables.items():
        lines += ["", f"## {_mark(entry['success'])} {name}", ""]
        if not entry["failures"]:
            lines.append(
                f"All {entry['evaluated_expectations']} expectations passed on {entry['rows']} rows."
            )
            continue
        lines += markdown_table(
            ("Column", "Expectation", "Observed", "Offending values", "Message"),
            [
                (
                    "(table)" if failure["column"] is None else f"`{_cell(failure['column'])}`",
                    _cell(failure["expectation"]),
                    _cell(failure["observed"]),
                    _cell(failure["offending_values"] or None),
                    _cell(failure["message"]),
                )
                for failure in entry["failures"]
            ],
        )
    return "\n".join(lines) + "\n"
