"""Which change thresholds a test split is too small to resolve. Pure: no I/O.

On a rate metric (accuracy, F1, precision, recall) measured on ``n`` rows, one row moves the value by
``1/n``. When that is more than a check's allowed drop (``max_worsening_abs``), any single misclassified
row fails the check: on a 178-row dataset (27 test rows, one row = 3.7 pp) the default 0.5 pp
compression threshold is a coin flip. The gate still applies such a check, but its report says so, with
the number of rows, unless the check has ``confidence`` (:mod:`prunegate.gate.paired`), whose report
shows the interval and the smallest drop the test set resolves instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prunegate.gate.config import ALL_SLICES, MetricCheck

__all__ = ["RATE_METRICS", "unresolvable_checks"]

RATE_METRICS = ("accuracy", "f1_macro", "precision_macro", "recall_macro")
"""Metrics that are shares of rows (prefixes: ``accuracy_noise_2`` is one too)."""
_PP = 100.0


def _rows(candidate: Mapping[str, Any], slice_name: str | None) -> tuple[int | None, str]:
    """The rows behind the candidate's value on ``slice_name`` (the smallest slice for ``*``)."""
    slices = candidate.get("slices") if isinstance(candidate.get("slices"), Mapping) else {}
    if slice_name is None:
        rows = candidate.get("test_rows")
        return (int(rows) if isinstance(rows, int | float) else None), "the test split"
    if slice_name == ALL_SLICES:
        counts = {name: value.get("count") for name, value in slices.items() if isinstance(value, Mapping)}
        counts = {name: count for name, count in counts.items() if isinstance(count, int | float)}
        if not counts:
            return None, ""
        smallest = min(counts, key=counts.get)
        return int(counts[smallest]), f"the smallest slice ({smallest})"
    count = (slices.get(slice_name) or {}).get("count")
    return (int(count) if isinstance(count, int | float) else None), f"slice {slice_name}"


def unresolvable_checks(checks: Sequence[MetricCheck], candidate: Mapping[str, Any]) -> list[str]:
    """One sentence per check whose allowed drop is smaller than one row of the data it is measured on."""
    warnings = []
    for check in checks:
        limit = check.max_worsening_abs
        if limit is None or not check.metric.startswith(RATE_METRICS) or check.confidence is not None:
            continue  # a check with confidence reports its own interval and resolution
        rows, where = _rows(candidate, check.slice)
        if not rows or 1.0 / rows <= limit:
            continue
        warnings.append(
            f"`{check.metric}`: one row of {where} ({rows} rows) is {_PP / rows:.2f} pp, more than the "
            f"allowed drop of {limit * _PP:g} pp: a single row decides this check. More test rows, or a "
            "looser threshold, make it meaningful"
        )
    return warnings
