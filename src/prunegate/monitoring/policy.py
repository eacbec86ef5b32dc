"""What to do about the served traffic: nothing, retrain, or roll back. Pure: dicts in, a decision out.

The rules, in order (the first that applies decides):

1. **Not enough traffic** -> ``none``. With fewer than ``min_rows`` rows in the window, neither drift
   nor accuracy is trustworthy, so nothing is decided.
2. **Rollback** -> ``rollback``. The current champion's accuracy on the labelled rows it served is lower
   than the previous champion's accuracy on the *same* rows by more than ``accuracy_tolerance``
   (``previous - champion > tolerance``). Needs at least ``min_labelled_rows`` labelled rows and a
   previous champion. It wins over retraining: a model that is worse than the one it replaced is undone
   first (fast, known-good), and retraining, if still needed, is decided on the next window.
3. **Dataset drift** -> ``retrain``. The share of drifted feature columns is at least
   ``drift_share_threshold`` (Evidently's convention: ``share >= threshold``).
4. Otherwise ``none``.

Prediction drift (predicted classes vs the training label distribution) does not trigger an action on
its own (it can be a change in the class mix rather than a broken model); it is added as a note.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["ACTIONS", "Action", "Decision", "MonitoringPolicy", "decide", "is_dataset_drift"]

Action = Literal["none", "retrain", "rollback"]
ACTIONS: tuple[Action, ...] = ("none", "retrain", "rollback")


@dataclass(frozen=True)
class MonitoringPolicy:
    """Thresholds of the decision (validated from ``params:monitoring`` by ``MonitoringParams``)."""

    drift_share_threshold: float
    min_rows: int
    accuracy_tolerance: float
    min_labelled_rows: int


@dataclass(frozen=True)
class Decision:
    """The action and, in order, the reasons behind it (including checks that were skipped)."""

    action: Action
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_dataset_drift(drift_share: float, threshold: float) -> bool:
    """Dataset-level drift: the share of drifted columns reaches ``threshold``."""
    return drift_share >= threshold


def _rollback_reason(live: dict[str, Any], policy: MonitoringPolicy) -> tuple[bool, str]:
    labelled = int(live.get("labelled_rows") or 0)
    champion, previous = live.get("champion_accuracy"), live.get("previous_accuracy")
    if labelled < policy.min_labelled_rows:
        minimum = policy.min_labelled_rows
        return False, f"rollback check skipped: {labelled} labelled rows < min_labelled_rows {minimum}"
    if previous is None:
        return False, "rollback check skipped: no previous champion to compare with"
    if champion is None:
        return False, "rollback check skipped: no live accuracy of the champion"
    gap = previous - champion
    comparison = (
        f"champion accuracy {champion:.4f} vs previous champion {previous:.4f} on the same "
        f"{labelled} labelled rows (gap {gap:+.4f}, tolerance {policy.accuracy_tolerance:.4f})"
    )
    return gap > policy.accuracy_tolerance, comparison


def _drift_reason(drift: dict[str, Any], policy: MonitoringPolicy) -> tuple[bool, str]:
    share = drift.get("drift_share")
    if share is None:
        return False, "dataset drift not measured"
    drifted = is_dataset_drift(share, policy.drift_share_threshold)
    columns = drift.get("drifted_columns") or []
    verdict = "dataset drift" if drifted else "no dataset drift"
    return drifted, (
        f"{verdict}: {share:.1%} of feature columns drifted (threshold {policy.drift_share_threshold:.1%})"
        + (f"; drifted: {', '.join(columns)}" if drifted and columns else "")
    )


def decide(drift: dict[str, Any], live: dict[str, Any], policy: MonitoringPolicy) -> Decision:
    """Apply the rules of this module's docstring, in order.

    Args:
        drift: ``DriftResult.to_dict()`` (``rows_current``, ``drift_share``, ``drifted_columns``,
            ``prediction_drift``); ``drift_share`` may be ``None`` when the check did not run.
        live: ``{"labelled_rows": n, "champion_accuracy": float | None, "previous_accuracy": float | None}``.
        policy: the thresholds.

    Returns:
        The decision; its reasons explain the deciding rule first, then the other checks.
    """
    rows = int(drift.get("rows_current") or 0)
    if rows < policy.min_rows:
        return Decision(
            "none", [f"not enough traffic: {rows} rows in the window < min_rows {policy.min_rows}"]
        )
    rollback, rollback_reason = _rollback_reason(live, policy)
    drifted, drift_reason = _drift_reason(drift, policy)
    notes = (
        ["note: prediction drift (predicted classes vs training labels)"]
        if drift.get("prediction_drift")
        else []
    )
    if rollback:
        return Decision("rollback", [rollback_reason, drift_reason, *notes])
    if drifted:
        return Decision("retrain", [drift_reason, rollback_reason, *notes])
    return Decision("none", [drift_reason, rollback_reason, *notes])
