"""``confidence`` on a gate check: decided on the paired rows, reported with its interval."""

import numpy as np
import pytest

from prunegate.gate.compare import compare_to_baseline
from prunegate.gate.config import MetricCheck, parse_gate_config
from prunegate.gate.paired import PER_ROW
from prunegate.gate.report import render_gate_report
from prunegate.params.base import ConfigError

ROWS = 270


def _metrics(correct: np.ndarray, targets: np.ndarray) -> dict:
    """Metrics of a model that predicts ``targets`` where ``correct`` and class 9 - target elsewhere."""
    predictions = np.where(correct, targets, 9 - targets)
    return {
        "accuracy": float(correct.mean()),
        PER_ROW: {
            "targets": targets.tolist(),
            "predictions": {"accuracy": predictions.tolist()},
            "slices": {f"class={c}": np.flatnonzero(targets == c).tolist() for c in range(4)},
        },
        "slices": {
            f"class={c}": {"accuracy": float(correct[targets == c].mean()), "count": 1} for c in range(4)
        },
    }


def _check(**extra) -> MetricCheck:
    return MetricCheck(
        metric="accuracy", direction="higher", max_worsening_abs=0.005, confidence=0.95, **extra
    )


@pytest.fixture
def targets():
    return np.arange(ROWS) % 4


def test_one_row_decides_nothing_alone_and_the_policy_says_what_undecided_means(targets):
    base = np.ones(ROWS, dtype=bool)
    cand = base.copy()
    cand[0] = False  # 0.37 pp: today one row
    baseline, candidate = _metrics(base, targets), _metrics(cand, targets)
    strict = compare_to_baseline(candidate, baseline, [_check(when_undecided="fail")], "g").rows[0]
    assert (
        not strict.passed and strict.paired["outcome"] == "undecided" and "270 paired rows" in strict.reason
    )
    lenient = compare_to_baseline(candidate, baseline, [_check()], "g").rows[0]
    assert lenient.passed and lenient.paired["policy"] == "point_estimate"


def test_a_clear_drop_fails_as_shown_worse_and_identical_models_pass_as_shown_within(targets):
    base = np.ones(ROWS, dtype=bool)
    cand = base.copy()
    cand[:27] = False  # 10 pp
    worse = compare_to_baseline(
        _metrics(cand, targets), _metrics(base, targets), [_check(when_undecided="pass")], "g"
    )
    assert not worse.passed and worse.rows[0].paired["outcome"] == "worse"
    assert "shown worse than the 0.5 pp allowed" in worse.rows[0].reason
    same = compare_to_baseline(
        _metrics(base, targets), _metrics(base, targets), [_check(when_undecided="fail")], "g"
    )
    assert same.passed and same.rows[0].paired["outcome"] == "within"


def test_slices_are_compared_on_their_own_rows(targets):
    base = np.ones(ROWS, dtype=bool)
    cand = base.copy()
    cand[targets == 2] = False  # class 2 entirely lost
    check = MetricCheck(
        metric="accuracy",
        slice="*",
        direction="higher",
        max_worsening_abs=0.08,
        confidence=0.95,
        when_undecided="pass",
    )
    rows = {
        row.slice: row
        for row in compare_to_baseline(_metrics(cand, targets), _metrics(base, targets), [check], "g").rows
    }
    assert not rows["class=2"].passed and rows["class=2"].paired["rows"] == int((targets == 2).sum())
    assert rows["class=0"].passed and rows["class=0"].paired["outcome"] == "within"


def test_without_paired_rows_the_point_values_decide_and_the_row_says_so(targets):
    base = np.ones(ROWS, dtype=bool)
    baseline = {"accuracy": 1.0}  # e.g. a champion committed before per-row outcomes were recorded
    row = compare_to_baseline(_metrics(base, targets), baseline, [_check()], "g").rows[0]
    assert row.passed and row.paired is None and "compared point values" in row.reason


def test_the_report_shows_the_interval_of_a_passing_paired_check(targets):
    base = np.ones(ROWS, dtype=bool)
    result = compare_to_baseline(_metrics(base, targets), _metrics(base, targets), [_check()], "compression")
    blessing = {"blessed": True, "candidate": "m", "gates": {"compression": result.to_dict()}}
    report = render_gate_report(blessing)
    assert "Decided on the paired test rows" in report and "shown within the 0.5 pp allowed" in report
    assert "drop ≤ 0.005 (95% paired)" in report


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            {"metric": "ece", "direction": "lower", "max_worsening_abs": 0.01, "confidence": 0.95},
            "accuracy-type",
        ),
        (
            {"metric": "accuracy", "direction": "higher", "lower_bound": 0.9, "confidence": 0.95},
            "needs max_worsening_abs",
        ),
        (
            {"metric": "accuracy", "direction": "higher", "max_worsening_abs": 0.01, "confidence": 1.5},
            "confidence",
        ),
        (
            {
                "metric": "accuracy",
                "direction": "higher",
                "max_worsening_abs": 0.01,
                "when_undecided": "maybe",
            },
            "when_undecided",
        ),
    ],
)
def test_a_bad_confidence_setting_names_the_key(check, message):
    with pytest.raises(ConfigError, match=message):
        parse_gate_config({"compression": [check], "regression": []})


def test_an_improvement_reads_as_a_gain_and_a_drop_does_not(targets):
    base = np.ones(ROWS, dtype=bool)
    worse = base.copy()
    worse[:27] = False
    better = compare_to_baseline(_metrics(base, targets), _metrics(worse, targets), [_check()], "g").rows[0]
    assert better.reason.startswith("drop -10.00 pp (a gain),")
    dropped = compare_to_baseline(_metrics(worse, targets), _metrics(base, targets), [_check()], "g").rows[0]
    assert "drop +10.00 pp," in dropped.reason and "gain" not in dropped.reason
