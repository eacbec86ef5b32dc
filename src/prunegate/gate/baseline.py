"""Choose the regression gate's baseline, and say whether the comparison is like with like. Pure: no I/O.

The TFX Evaluator validates a candidate against a baseline model that it evaluates on the *same* eval data
in the same run. prunegate does the same whenever the champion's model file is committed
(``champion/model.pt``): the evaluation pipeline measures it next to the candidate, on this run's test
split, on this machine, now. Only without that file does the gate fall back to ``champion/metrics.json``,
measured when the champion was promoted, possibly on another test split (the data changed, e.g. a retrain
on labelled feedback re-splits it) and on another machine (latency). Every metrics dict carries its test
split's fingerprint, so such a fallback is flagged in the report instead of silently judged.

Timings are the exception to "measured the same way": the re-evaluated champion carries the candidate's
latencies timed interleaved with its own (:data:`PAIRED_CANDIDATE_TIMINGS`), and the regression gate uses
those for the candidate, because two passes timed seconds apart on a shared machine are not comparable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BASELINE_DESCRIPTIONS",
    "PAIRED_CANDIDATE_TIMINGS",
    "TEST_SPLIT_FINGERPRINT",
    "RegressionBaseline",
    "choose_regression_baseline",
]

TEST_SPLIT_FINGERPRINT = "test_split_fingerprint"
"""Metrics key: the fingerprint of the test split the metrics were measured on (from validation)."""

PAIRED_CANDIDATE_TIMINGS = "candidate_timings_paired"
"""Key of the re-evaluated champion's metrics: the candidate's ``latency_*`` timed interleaved with it."""

BaselineSource = Literal["reevaluated", "committed", "none"]
BASELINE_DESCRIPTIONS: dict[str, str] = {
    "reevaluated": "champion re-evaluated on this run's test split",
    "committed": "champion/metrics.json as committed",
    "none": "no champion yet",
}
_SHOWN_CHARS = 12


@dataclass(frozen=True)
class RegressionBaseline:
    """The metrics the regression gate compares with, where they come from, and caveats for the report.

    Attributes:
        metrics: The baseline's metrics, or None when there is no champion.
        source: ``reevaluated`` (champion measured in this run), ``committed`` (champion/metrics.json) or
            ``none``.
        warnings: Why the comparison may be unfair (e.g. different test splits); shown prominently.
        notes: Other facts worth knowing (e.g. the committed metrics carry no fingerprint).
        baseline_fingerprint: Test split fingerprint of the baseline's metrics (None if unknown).
        candidate_fingerprint: The same for the candidate's.
        candidate_timings: The candidate's timings measured interleaved with the baseline's; they replace
            the candidate's own in the comparison (empty when there are none).
    """

    metrics: Mapping[str, Any] | None
    source: BaselineSource
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    baseline_fingerprint: str | None = None
    candidate_fingerprint: str | None = None
    candidate_timings: Mapping[str, float] = field(default_factory=dict)

    def candidate_metrics(self, candidate: Mapping[str, Any]) -> dict[str, Any]:
        """``candidate`` as compared with this baseline: with the paired timings where there are any."""
        return {**candidate, **self.candidate_timings}

    @property
    def description(self) -> str:
        """E.g. ``champion re-evaluated on this run's test split``."""
        return BASELINE_DESCRIPTIONS[self.source]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe record for the blessing (the metrics themselves are in the check rows)."""
        return {
            "source": self.source,
            "description": self.description,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "baseline_test_split": self.baseline_fingerprint,
            "candidate_test_split": self.candidate_fingerprint,
            "timings_paired": bool(self.candidate_timings),
        }


def choose_regression_baseline(
    candidate: Mapping[str, Any],
    committed: Mapping[str, Any] | None,
    reevaluated: Mapping[str, Any] | None,
) -> RegressionBaseline:
    """The champion re-evaluated in this run when available, else the committed metrics.

    Args:
        candidate: The candidate's metrics (with :data:`TEST_SPLIT_FINGERPRINT`).
        committed: ``champion/metrics.json`` (None before the first promotion).
        reevaluated: The champion model measured by this run's evaluation; None or empty when there is no
            champion model file. One measured on another test split than the candidate's is stale (it
            cannot come from this run) and is not used.

    Returns:
        The baseline, its source and the caveats to report.
    """
    candidate_fp = _fingerprint(candidate)
    stale: list[str] = []
    if reevaluated:
        reevaluated_fp = _fingerprint(reevaluated)
        if reevaluated_fp == candidate_fp:
            paired = reevaluated.get(PAIRED_CANDIDATE_TIMINGS) or {}
            return RegressionBaseline(
                reevaluated,
                "reevaluated",
                notes=("latencies of the candidate and the champion timed interleaved, in one pass",)
                if paired
                else (),
                baseline_fingerprint=reevaluated_fp,
                candidate_fingerprint=candidate_fp,
                candidate_timings=dict(paired),
            )
        stale.append(
            f"the re-evaluated champion metrics are from another test split ({_short(reevaluated_fp)}, "
            f"this run: {_short(candidate_fp)}): stale, not used; re-run the evaluation"
        )
    if committed is None:
        return RegressionBaseline(None, "none", warnings=tuple(stale), candidate_fingerprint=candidate_fp)
    committed_fp = _fingerprint(committed)
    warnings, notes = list(stale), []
    if committed_fp is None or candidate_fp is None:
        notes.append(
            "the committed champion metrics or the candidate's carry no test split fingerprint: whether "
            "they were measured on the same test split is unknown"
        )
    elif committed_fp != candidate_fp:
        warnings.append(
            f"comparison across different test splits: champion/metrics.json was measured on test split "
            f"{_short(committed_fp)}, this run's candidate on {_short(candidate_fp)}; a data change alone "
            "can pass or fail the gate. Promote with `prunegate promote` (it keeps champion/model.pt) so "
            "the champion is re-evaluated on this run's split"
        )
    else:
        notes.append(f"measured on the same test split as this run ({_short(candidate_fp)})")
    return RegressionBaseline(
        committed,
        "committed",
        warnings=tuple(warnings),
        notes=tuple(notes),
        baseline_fingerprint=committed_fp,
        candidate_fingerprint=candidate_fp,
    )


def _fingerprint(metrics: Mapping[str, Any]) -> str | None:
    value = metrics.get(TEST_SPLIT_FINGERPRINT)
    return value if isinstance(value, str) and value else None


def _short(fingerprint: str | None) -> str:
    return f"`{fingerprint[:_SHOWN_CHARS]}`" if fingerprint else "unknown"
