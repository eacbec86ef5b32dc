"""Render a blessing (from :func:`prunegate.gate.compare.bless`) as a markdown report for a PR comment.

Like the TFX Evaluator's validation result, the report shows every check with its baseline and candidate
values; failing rows come first and their reasons follow each table. A gate that names its baseline
(``gate["baseline"]``: description, warnings, notes) gets that line above its table, so a reader sees
what the candidate was compared with and whether the comparison is across different test splits. The
first line is a hidden HTML marker so a CI bot can find its own comment and update it in place instead of
posting a new one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from prunegate.reporting.markdown import escape_cell, markdown_table

__all__ = ["REPORT_MARKER", "format_number", "render_gate_report"]

REPORT_MARKER = "<!-- prunegate-gate-report -->"
PASS_MARK = "✓"
FAIL_MARK = "✗"
SKIP_MARK = "–"  # nothing checked: only change thresholds, and no baseline yet
_DECIMALS = 4
_SMALLEST_FIXED = 10.0**-_DECIMALS  # below this, fixed decimals would show 0: use significant digits
_MISSING = "—"
_OVERALL = "all"
_HEADERS = ("", "metric", "slice", "baseline", "candidate", "Δ", "threshold")
_ALIGN = ("left", "left", "left", "right", "right", "right", "left")


def render_gate_report(
    blessing: Mapping[str, Any],
    *,
    title: str = "prunegate gate",
    links: Mapping[str, str] | None = None,
) -> str:
    """Markdown for a blessing: headline, one table per gate, reasons, a no-champion note, plots.

    Args:
        blessing: ``{"blessed": bool, "candidate": str, "gates": {name: GateResult.to_dict()}}``.
        title: The report's title, shown in the headline.
        links: Plot name -> relative path, listed under "Plots" when given.

    Returns:
        The report; its first line is :data:`REPORT_MARKER`, and ✗ appears once per failing row.
    """
    verdict = "✅ BLESSED" if blessing["blessed"] else "❌ NOT BLESSED"
    gates: Mapping[str, Any] = blessing.get("gates", {})
    rows = [row for gate in gates.values() for row in gate["rows"]]
    failed = sum(not row["passed"] for row in rows)
    skipped = sum(bool(row.get("skipped")) for row in rows)
    lines = [
        REPORT_MARKER,
        f"## {title}: {verdict} `{blessing['candidate']}`",
        "",
        f"{len(rows) - failed - skipped} of {len(rows)} checks passed across {len(gates)} gate(s)"
        + (f"; {skipped} skipped for want of a baseline (nothing checked)." if skipped else "."),
    ]
    for name, gate in gates.items():
        lines += ["", *_gate_section(name, gate)]
    if links:
        lines += ["", "### Plots", ""]
        lines += [f"- [{escape_cell(label)}]({path})" for label, path in links.items()]
    return "\n".join(lines) + "\n"


_UNPAIRED = "compared point values"  # the note of a ``confidence`` check that had no paired rows


def format_number(value: Any, *, signed: bool = False) -> str:
    """Ints with thousands separators; floats with 4 decimals (trailing zeros dropped); None as —.

    Args:
        value: The number to show (None when missing).
        signed: Prefix positive values with ``+`` (for deltas).

    Returns:
        E.g. ``1,234,567``, ``0.9523``, ``+0.004``, ``1.2e-05`` (too small for 4 decimals).
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return _MISSING
    sign = "+" if signed else ""
    if isinstance(value, int):
        return f"{value:{sign},}"
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) < _SMALLEST_FIXED:
        return f"{value:{sign}.{_DECIMALS}g}"
    return f"{value:{sign},.{_DECIMALS}f}".rstrip("0").rstrip(".")


def _gate_section(name: str, gate: Mapping[str, Any]) -> list[str]:
    rows = gate["rows"]
    failing = [row for row in rows if not row["passed"]]
    if not rows:
        return [f"### {name}: ✅ no checks configured"]
    skipped = [row for row in rows if row.get("skipped")]
    if failing:
        status = f"❌ {len(failing)} of {len(rows)} checks failed"
    elif skipped:
        status = f"✅ {len(rows) - len(skipped)} of {len(rows)} checks passed, {len(skipped)} skipped"
    else:
        status = f"✅ all {len(rows)} checks passed"
    lines = [f"### {name}: {status}", "", *_baseline_lines(gate.get("baseline"))]
    for warning in gate.get("too_few_rows", []):
        lines += [f"> ⚠️ **Too few test rows:** {warning}.", ""]
    ordered = failing + [row for row in rows if row["passed"]]
    lines += markdown_table(_HEADERS, [_table_cells(row) for row in ordered], _ALIGN)
    if failing:
        lines += ["", "**Why it failed:**", ""]
        lines += [f"- `{row['metric']}` ({_slice_label(row)}): {row['reason']}" for row in failing]
    paired = [
        row for row in rows if row["passed"] and (row.get("paired") or _UNPAIRED in row.get("reason", ""))
    ]
    if paired:
        lines += [
            "",
            "**Decided on the paired test rows** (both models on the same rows, bootstrap interval):",
            "",
        ]
        lines += [f"- `{row['metric']}` ({_slice_label(row)}): {row['reason']}" for row in paired]
    if not gate.get("baseline_available", True):
        lines += [
            "",
            f"> ℹ️ No baseline (no champion yet): change thresholds were skipped ({SKIP_MARK}: nothing "
            "checked); value bounds still apply.",
        ]
    return lines


def _baseline_lines(baseline: Mapping[str, Any] | None) -> list[str]:
    """What the gate compared with, its warnings (e.g. different test splits) and notes, above the table."""
    if not baseline:
        return []
    lines = [f"Baseline: **{baseline['description']}**.", ""]
    for warning in baseline.get("warnings", []):
        lines += [f"> ⚠️ **Warning:** {warning}", ""]
    for note in baseline.get("notes", []):
        lines += [f"> ℹ️ {note}", ""]
    return lines


def _table_cells(row: Mapping[str, Any]) -> list[str]:
    return [
        (SKIP_MARK if row.get("skipped") else PASS_MARK) if row["passed"] else FAIL_MARK,
        f"`{row['metric']}`",
        _slice_label(row),
        format_number(row.get("baseline")),
        format_number(row.get("candidate")),
        format_number(row.get("delta"), signed=True),
        row.get("threshold", ""),
    ]


def _slice_label(row: Mapping[str, Any]) -> str:
    return _OVERALL if row.get("slice") is None else str(row["slice"])
