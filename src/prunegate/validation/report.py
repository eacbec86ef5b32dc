"""A Markdown report of a data validation result, for humans and for CI artifacts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["render_markdown"]

PASSED, FAILED = "✓", "✗"
MAX_CELL_CHARS = 120
"""Longer cells (long observed values or messages) are cut, with an ellipsis."""


def _cell(value: Any) -> str:
    """``value`` as one Markdown table cell: JSON for containers, pipes escaped, no newlines, bounded."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _row(*cells: Any) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


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
        _row("Table", "Result", "Rows", "Expectations", "Failed"),
        _row("---", ":-:", "--:", "--:", "--:"),
    ]
    lines += [
        _row(
            name,
            _mark(entry["success"]),
            entry["rows"],
            entry["evaluated_expectations"],
            len(entry["failures"]),
        )
        for name, entry in tables.items()
    ]
    for name, entry in tables.items():
        lines += ["", f"## {_mark(entry['success'])} {name}", ""]
        if not entry["failures"]:
            lines.append(
                f"All {entry['evaluated_expectations']} expectations passed on {entry['rows']} rows."
            )
            continue
        lines += [
            _row("Column", "Expectation", "Observed", "Offending values", "Message"),
            _row("---", "---", "---", "---", "---"),
        ]
        lines += [
            _row(
                "(table)" if failure["column"] is None else f"`{failure['column']}`",
                failure["expectation"],
                failure["observed"],
                failure["offending_values"] or None,
                failure["message"],
            )
            for failure in entry["failures"]
        ]
    return "\n".join(lines) + "\n"
