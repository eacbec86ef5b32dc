"""Compare a candidate's metrics with a baseline's under a gate's checks. Pure: no I/O.

Semantics follow the TFX Evaluator with TFX Model Analysis ``tfma.MetricThreshold``: value thresholds
(``GenericValueThreshold``) apply to the candidate alone; change thresholds (``GenericChangeThreshold``)
compare with the baseline in the metric's direction; when there is no baseline model yet (first run, no
champion) change thresholds are skipped and the candidate is blessed on its value thresholds. Unlike a
lenient evaluator, this gate fails closed: a missing, non-numeric or non-finite value fails its check.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from prunegate.gate.config import ALL_SLICES, MetricCheck
from prunegate.gate.paired import PairedDifference, decide, paired_outcomes, paired_worsening

__all__ = [
    "NO_BASELINE_REASON",
    "SLICES_KEY",
    "CheckRow",
    "GateResult",
    "bless",
    "compare_to_baseline",
    "describe_threshold",
]

SLICES_KEY = "slices"
NO_BASELINE_REASON = "no baseline (no champion yet): blessed by default"
# Rounding slack so a change exactly at its tolerance passes: 0.95 - 0.945 == 0.0050000000000000044.
_RELATIVE_SLACK = 1e-9
_ABSOLUTE_SLACK = 1e-12
_SHOWN_DIGITS = 6
_PP = 100.0

Number = int | float


@dataclass(frozen=True)
class CheckRow:
    """The outcome of one check on one slice (``slice`` None = the overall metric).

    ``baseline`` / ``candidate`` hold finite numbers only (None when missing or unusable; ``reason`` then
    says why), so the row is always JSON-safe. ``delta`` is candidate - baseline.
    """

    gate: str
    metric: str
    slice: str | None
    direction: str
    baseline: Number | None
    candidate: Number | None
    delta: Number | None
    threshold: str
    passed: bool
    reason: str = ""
    skipped: bool = False  # only change thresholds, and no baseline to change from: nothing was checked
    paired: dict[str, Any] | None = None  # with ``confidence``: the interval, rows, outcome and policy

    def to_dict(self) -> dict[str, Any]:
        """The row as a JSON-safe dict."""
        return asdict(self)


@dataclass(frozen=True)
class GateResult:
    """All rows of one gate; it passes when every row passes (no checks = passes)."""

    gate: str
    rows: tuple[CheckRow, ...]
    baseline_available: bool

    @property
    def passed(self) -> bool:
        """Whether every row passed."""
        return all(row.passed for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-safe dict."""
        return {
            "gate": self.gate,
            "passed": self.passed,
            "baseline_available": self.baseline_available,
            "rows": [row.to_dict() for row in self.rows],
        }


def compare_to_baseline(
    candidate: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    checks: Sequence[MetricCheck],
    gate: str,
) -> GateResult:
    """Run ``checks`` on ``candidate`` against ``baseline``.

    Args:
        candidate: Flat metrics of the model under test, optionally with a ``slices`` mapping of
            slice name -> flat metrics.
        baseline: The same for the model to beat, or None when there is none yet (no champion).
        checks: The gate's checks; a ``slice: "*"`` check expands to one row per slice present in the
            candidate or the baseline.
        gate: The gate's name, copied into every row (e.g. ``compression``, ``regression``).

    Returns:
        One row per (check, slice), in check order, slices sorted by name.
    """
    rows = [
        _evaluate(check, slice_name, candidate, baseline, gate)
        for check in checks
        for slice_name in _slices_for(check, candidate, baseline)
    ]
    return GateResult(gate=gate, rows=tuple(rows), baseline_available=baseline is not None)


def bless(results: Sequence[GateResult], candidate_name: str) -> dict[str, Any]:
    """Combine gate results into the blessing: blessed only if every gate passed.

    Args:
        results: One result per gate; gate names must be distinct.
        candidate_name: The candidate's name (run id, model tag), shown in the report.

    Returns:
        ``{"blessed": bool, "candidate": name, "gates": {gate: result.to_dict()}}``.

    Raises:
        ValueError: Two results carry the same gate name (one would hide the other).
    """
    gates: dict[str, Any] = {}
    for result in results:
        if result.gate in gates:
            raise ValueError(f"gate '{result.gate}' appears twice in the results")
        gates[result.gate] = result.to_dict()
    return {"blessed": all(result.passed for result in results), "candidate": candidate_name, "gates": gates}


def describe_threshold(check: MetricCheck) -> str:
    """A short human string for the check's thresholds, e.g. ``≥ 0.95, drop ≤ 0.005``."""
    worse = _worsening_word(check)
    parts = []
    if check.lower_bound is not None:
        parts.append(f"≥ {check.lower_bound:g}")
    if check.upper_bound is not None:
        parts.append(f"≤ {check.upper_bound:g}")
    if check.max_worsening_abs is not None:
        paired = f" ({check.confidence:.0%} paired)" if check.confidence is not None else ""
        parts.append(f"{worse} ≤ {check.max_worsening_abs:g}{paired}")
    if check.max_worsening_rel is not None:
        parts.append(f"{worse} ≤ {check.max_worsening_rel:.2%}".replace(".00%", "%"))
    if check.min_improvement_ratio is not None:
        parts.append(f"≥ {check.min_improvement_ratio:g}x better")
    return ", ".join(parts)


def _slices_for(
    check: MetricCheck, candidate: Mapping[str, Any], baseline: Mapping[str, Any] | None
) -> list[str | None]:
    if check.slice != ALL_SLICES:
        return [check.slice]
    names = sorted(set(_slice_names(candidate)) | set(_slice_names(baseline)))
    return list(names) or [ALL_SLICES]


def _slice_names(metrics: Mapping[str, Any] | None) -> list[str]:
    slices = metrics.get(SLICES_KEY) if metrics is not None else None
    return [str(name) for name in slices] if isinstance(slices, Mapping) else []


def _evaluate(
    check: MetricCheck,
    slice_name: str | None,
    candidate: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    gate: str,
) -> CheckRow:
    def row(
        cand: Number | None,
        base: Number | None,
        failures: list[str],
        note: str = "",
        skipped: bool = False,
        paired: dict[str, Any] | None = None,
    ) -> CheckRow:
        delta = cand - base if cand is not None and base is not None else None
        return CheckRow(
            gate=gate,
            metric=check.metric,
            slice=slice_name,
            direction=check.direction,
            baseline=base,
            candidate=cand,
            delta=delta,
            threshold=describe_threshold(check),
            passed=not failures,
            reason="; ".join(failures) or note,
            skipped=skipped,
            paired=paired,
        )

    if slice_name == ALL_SLICES:
        return row(None, None, ["slice '*' matched nothing: no slices in the candidate or the baseline"])
    cand, cand_problem = _lookup(candidate, slice_name, check.metric, "candidate")
    base, base_problem = (None, None)
    if baseline is not None:
        base, base_problem = _lookup(baseline, slice_name, check.metric, "baseline")
    problems = [cand_problem] if cand_problem else []
    if base_problem and check.has_change_threshold:
        problems.append(base_problem)
    if problems or cand is None:
        return row(cand, base, problems)
    failures = _bound_failures(check, cand)
    if not check.has_change_threshold:
        return row(cand, base, failures)
    if base is None:
        unbounded = check.lower_bound is None and check.upper_bound is None
        return row(cand, base, failures, note=NO_BASELINE_REASON, skipped=unbounded)
    if check.confidence is None:
        return row(cand, base, failures + _change_failures(check, cand, base))
    outcomes = paired_outcomes(baseline, candidate, check.metric, slice_name)
    if isinstance(outcomes, str):  # no pairing possible: the point values decide, and the row says why
        note = f"compared point values: {outcomes}"
        return row(cand, base, failures + _change_failures(check, cand, base), note=note)
    difference = paired_worsening(*outcomes, check.confidence)
    allowed = check.max_worsening_abs if check.max_worsening_abs is not None else math.inf
    passed, outcome = decide(difference, allowed, check.when_undecided)
    paired = {**difference.to_dict(), "outcome": outcome, "policy": check.when_undecided, "allowed": allowed}
    unpaired = check.model_copy(update={"max_worsening_abs": None, "confidence": None})
    failures += _change_failures(unpaired, cand, base) if unpaired.has_change_threshold else []
    text = _paired_text(difference, outcome, check)
    if not passed:
        failures.append(text)
    return row(cand, base, failures, note=text, paired=paired)


def _paired_text(difference: PairedDifference, outcome: str, check: MetricCheck) -> str:
    """``drop 0.74 pp, 95% interval [-0.4, 1.9] pp on 270 paired rows (9 differ): undecided ...``."""
    interval = (
        f"{check.confidence:.0%} interval [{difference.low * _PP:+.2f}, {difference.high * _PP:+.2f}] pp on "
        f"{difference.rows} paired rows ({difference.disagreements} differ)"
    )
    allowed = f"{(check.max_worsening_abs or 0) * _PP:g} pp allowed"
    verdicts = {
        "within": f"shown within the {allowed}",
        "worse": f"shown worse than the {allowed}",
        "undecided": f"undecided against the {allowed} (resolution ±{difference.resolution * _PP:.2f} pp); "
        f"when_undecided: {check.when_undecided}",
    }
    gain = " (a gain)" if difference.worsening < 0 else ""
    return f"drop {difference.worsening * _PP:+.2f} pp{gain}, {interval}: {verdicts[outcome]}"


def _lookup(
    metrics: Mapping[str, Any], slice_name: str | None, metric: str, role: str
) -> tuple[Number | None, str | None]:
    """The finite number at ``metrics[slices][slice][metric]`` (or ``metrics[metric]``), or why not."""
    scope: Any = metrics
    where = ""
    if slice_name is not None:
        slices = metrics.get(SLICES_KEY)
        scope = slices.get(slice_name) if isinstance(slices, Mapping) else None
        if not isinstance(scope, Mapping):
            return None, f"slice '{slice_name}' missing in {role}"
        where = f" (slice '{slice_name}')"
    if metric not in scope:
        return None, f"metric '{metric}' missing in {role}{where}"
    value = scope[metric]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None, f"{role} {metric}{where} is not a number: {value!r}"
    value = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(value):
        return None, f"{role} {metric}{where} is {value}"
    return value, None


def _bound_failures(check: MetricCheck, cand: Number) -> list[str]:
    failures = []
    if check.lower_bound is not None and not _at_most(check.lower_bound, cand):
        failures.append(f"{_show(cand)} is below the lower bound {check.lower_bound:g}")
    if check.upper_bound is not None and not _at_most(cand, check.upper_bound):
        failures.append(f"{_show(cand)} is above the upper bound {check.upper_bound:g}")
    return failures


def _change_failures(check: MetricCheck, cand: Number, base: Number) -> list[str]:
    worse = _worsening_word(check)
    worsening = base - cand if check.direction == "higher" else cand - base
    failures = []
    if check.max_worsening_abs is not None and not _at_most(worsening, check.max_worsening_abs):
        failures.append(f"{worse} {_show(worsening)} > {check.max_worsening_abs:g} allowed")
    if check.max_worsening_rel is not None and not _at_most(worsening, check.max_worsening_rel * abs(base)):
        share = f"{worsening / abs(base):.2%} of baseline" if base else "from a zero baseline"
        failures.append(f"{worse} {_show(worsening)} ({share}) > {check.max_worsening_rel:.2%} allowed")
    if check.min_improvement_ratio is not None:
        if cand <= 0 or base <= 0:
            failures.append(
                f"improvement ratio undefined: baseline {_show(base)} and candidate {_show(cand)} "
                "must both be > 0"
            )
        else:
            ratio = base / cand if check.direction == "lower" else cand / base
            if not _at_most(check.min_improvement_ratio, ratio):
                failures.append(f"only {ratio:.3g}x better < {check.min_improvement_ratio:g}x required")
    return failures


def _worsening_word(check: MetricCheck) -> str:
    return "drop" if check.direction == "higher" else "rise"


def _at_most(value: float, limit: float) -> bool:
    return value <= limit or math.isclose(value, limit, rel_tol=_RELATIVE_SLACK, abs_tol=_ABSOLUTE_SLACK)


def _show(value: Number) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.{_SHOWN_DIGITS}g}"
