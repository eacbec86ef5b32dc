"""How much worse a candidate is than its baseline on the same test rows, with a confidence interval.

The gate's change thresholds on accuracy-type metrics (accuracy, noisy and adversarial accuracy, a
slice's accuracy) compare two models measured on the *same* rows. Comparing the two point values lets
one row decide a merge: on 270 test rows one row is 0.37 pp, against a 0.5 pp allowed drop. Here the
difference is estimated from the paired per-row outcomes (each row is right or wrong for each model)
with a paired bootstrap (Efron & Tibshirani, 1993, ch. 13; the resampling unit is the row, both models
resampled together, so only rows on which they disagree add variance: with no disagreement the
interval is exactly ``[0, 0]``). The percentile interval at ``confidence`` gives three outcomes:

- ``within``: the whole interval is at or below the allowed drop: shown to be no worse than allowed;
- ``worse``: the whole interval is above it: shown to be worse than allowed;
- ``undecided``: the interval straddles it: this test set cannot tell; the check's ``when_undecided``
  policy decides (``point_estimate``: the observed drop against the threshold, as TFX's plain thresholds
  do; ``fail``: refuse unless shown within, a non-inferiority test; ``pass``: refuse only when shown
  worse).

The interval's half-width is the smallest drop this test set can tell apart from no change (reported as
``resolution``). The bootstrap uses a fixed seed, so the same predictions always give the same decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "DEFAULT_RESAMPLES",
    "PER_ROW",
    "PairedDifference",
    "decide",
    "paired_outcomes",
    "paired_worsening",
]

PER_ROW = "per_row"  # the metrics key of the per-row outcomes (pipelines.evaluation.measure writes it)
DEFAULT_RESAMPLES = 4000
BOOTSTRAP_SEED = 20170101
Outcome = Literal["within", "worse", "undecided"]
Policy = Literal["point_estimate", "fail", "pass"]


@dataclass(frozen=True)
class PairedDifference:
    """The worsening (baseline - candidate, in metric units) of an accuracy-type metric on paired rows."""

    rows: int
    disagreements: int  # rows exactly one of the two models gets right
    worsening: float  # observed: baseline accuracy - candidate accuracy
    low: float  # the confidence interval of the worsening
    high: float
    confidence: float

    @property
    def resolution(self) -> float:
        """Half the interval's width: drops smaller than this cannot be told from no change here."""
        return (self.high - self.low) / 2

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "resolution": self.resolution}


def paired_worsening(
    baseline_correct: Sequence[bool] | np.ndarray,
    candidate_correct: Sequence[bool] | np.ndarray,
    confidence: float,
    *,
    resamples: int = DEFAULT_RESAMPLES,
) -> PairedDifference:
    """The observed worsening and its paired-bootstrap percentile interval.

    Args:
        baseline_correct: per row, whether the baseline model got it right.
        candidate_correct: the same rows, in the same order, for the candidate.
        confidence: two-sided confidence level of the interval, e.g. 0.95.
        resamples: bootstrap resamples.

    Raises:
        ValueError: no rows, rows of different lengths, or a confidence outside (0, 1).
    """
    base = np.asarray(baseline_correct, dtype=bool)
    cand = np.asarray(candidate_correct, dtype=bool)
    if base.shape != cand.shape or base.ndim != 1 or base.size == 0:
        raise ValueError(
            f"paired outcomes need two equal, non-empty row vectors, got {base.shape} and {cand.shape}"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    rows = base.size
    difference = base.astype(np.int8) - cand.astype(np.int8)  # +1: only the baseline right, -1: the reverse
    disagree = np.flatnonzero(difference)
    observed = float(difference.sum()) / rows
    if disagree.size == 0:
        return PairedDifference(rows, 0, 0.0, 0.0, 0.0, confidence)
    # Only disagreeing rows move the difference: resample how many of the n draws land on each of them
    # (a multinomial over all rows, of which the agreeing ones contribute 0).
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    probabilities = np.full(disagree.size, 1.0 / rows)
    agreeing = 1.0 - probabilities.sum()
    counts = rng.multinomial(rows, [*probabilities, max(agreeing, 0.0)], size=resamples)[:, :-1]
    worsening = counts @ difference[disagree] / rows
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(worsening, [tail, 1.0 - tail])
    return PairedDifference(rows, int(disagree.size), observed, float(low), float(high), confidence)


def decide(difference: PairedDifference, allowed: float, policy: Policy) -> tuple[bool, Outcome]:
    """Whether the check passes, and the statistical outcome (see the module docstring)."""
    if difference.high <= allowed + 1e-12:
        return True, "within"
    if difference.low > allowed + 1e-12:
        return False, "worse"
    if policy == "fail":
        return False, "undecided"
    if policy == "pass":
        return True, "undecided"
    return difference.worsening <= allowed + 1e-12, "undecided"


def paired_outcomes(
    baseline: Mapping[str, Any], candidate: Mapping[str, Any], metric: str, slice_name: str | None
) -> tuple[np.ndarray, np.ndarray] | str:
    """Per-row correctness of both models for ``metric`` (on ``slice_name``'s rows), or why there is none.

    Both metrics dicts must carry :data:`PER_ROW` outcomes of the same test rows (same true classes).
    """
    rows_b, rows_c = baseline.get(PER_ROW), candidate.get(PER_ROW)
    if not isinstance(rows_b, Mapping) or not isinstance(rows_c, Mapping):
        return "no per-row outcomes for both models (a baseline measured before they were recorded)"
    targets = np.asarray(rows_c.get("targets", []))
    if not np.array_equal(targets, np.asarray(rows_b.get("targets", []))):
        return "the two models were measured on different test rows"
    predicted_b, predicted_c = rows_b["predictions"].get(metric), rows_c["predictions"].get(metric)
    if predicted_b is None or predicted_c is None:
        return f"no per-row outcomes of '{metric}'"
    correct_b, correct_c = np.asarray(predicted_b) == targets, np.asarray(predicted_c) == targets
    if slice_name is None:
        return correct_b, correct_c
    members = rows_c.get("slices", {}).get(slice_name)
    if not members:
        return f"no rows recorded for slice '{slice_name}'"
    index = np.asarray(members, dtype=int)
    return correct_b[index], correct_c[index]
