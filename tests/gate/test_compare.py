import json
import math

import numpy as np
import pytest

from prunegate.gate import NO_BASELINE_REASON, MetricCheck, bless, compare_to_baseline


def check(metric="accuracy", direction="higher", **thresholds):
    return MetricCheck(metric=metric, direction=direction, **thresholds)


def only_row(candidate, baseline, metric_check):
    result = compare_to_baseline(candidate, baseline, [metric_check], gate="regression")
    assert len(result.rows) == 1
    return result.rows[0]


@pytest.mark.parametrize(
    ("candidate", "passed"),
    [(0.946, True), (0.945, True), (0.944, False), (0.97, True)],
)
def test_max_worsening_abs_higher_is_better(candidate, passed):
    row = only_row({"accuracy": candidate}, {"accuracy": 0.95}, check(max_worsening_abs=0.005))
    assert row.passed is passed
    assert row.delta == pytest.approx(candidate - 0.95)
    assert row.threshold == "drop ≤ 0.005"
    if not passed:
        assert "drop 0.006 > 0.005 allowed" in row.reason


@pytest.mark.parametrize(("candidate", "passed"), [(0.052, True), (0.056, False)])
def test_max_worsening_abs_lower_is_better(candidate, passed):
    row = only_row({"ece": candidate}, {"ece": 0.05}, check("ece", "lower", max_worsening_abs=0.005))
    assert row.passed is passed
    assert row.threshold == "rise ≤ 0.005"


@pytest.mark.parametrize(("candidate", "passed"), [(10.9, True), (11.0, True), (11.2, False), (5.0, True)])
def test_max_worsening_rel_lower_is_better_latency(candidate, passed):
    metric_check = check("latency_ms_p50_b256", "lower", max_worsening_rel=0.1)
    row = only_row({"latency_ms_p50_b256": candidate}, {"latency_ms_p50_b256": 10.0}, metric_check)
    assert row.passed is passed
    assert row.threshold == "rise ≤ 10%"
    if not passed:
        assert "12.00% of baseline" in row.reason


@pytest.mark.parametrize(("candidate", "passed"), [(0.81, True), (0.79, False)])
def test_max_worsening_rel_higher_is_better(candidate, passed):
    row = only_row({"f1_macro": candidate}, {"f1_macro": 0.9}, check("f1_macro", max_worsening_rel=0.1))
    assert row.passed is passed


@pytest.mark.parametrize(("candidate", "passed"), [(200_000, True), (250_000, True), (333_334, False)])
def test_min_improvement_ratio_lower_is_better_macs(candidate, passed):
    row = only_row({"macs": candidate}, {"macs": 1_000_000}, check("macs", "lower", min_improvement_ratio=4))
    assert row.passed is passed
    assert row.threshold == "≥ 4x better"
    assert isinstance(row.delta, int)
    if not passed:
        assert "only 3x better < 4x required" in row.reason


@pytest.mark.parametrize(("candidate", "passed"), [(2000.0, True), (1500.0, False)])
def test_min_improvement_ratio_higher_is_better(candidate, passed):
    metric_check = check("ood_auroc_msp", min_improvement_ratio=2)
    assert only_row({"ood_auroc_msp": candidate}, {"ood_auroc_msp": 1000.0}, metric_check).passed is passed


def test_min_improvement_ratio_needs_positive_values():
    row = only_row({"macs": 0}, {"macs": 1000}, check("macs", "lower", min_improvement_ratio=4))
    assert not row.passed
    assert "must both be > 0" in row.reason


@pytest.mark.parametrize(
    ("metric_check", "value", "passed", "reason"),
    [
        (check(lower_bound=0.95), 0.96, True, ""),
        (check(lower_bound=0.95), 0.95, True, ""),
        (check(lower_bound=0.95), 0.94, False, "below the lower bound 0.95"),
        (check("ece", "lower", upper_bound=0.05), 0.04, True, ""),
        (check("ece", "lower", upper_bound=0.05), 0.06, False, "above the upper bound 0.05"),
    ],
)
def test_value_bounds_apply_to_the_candidate_alone(metric_check, value, passed, reason):
    row = only_row({metric_check.metric: value}, {metric_check.metric: 0.0}, metric_check)
    assert row.passed is passed
    assert reason in row.reason


def test_all_failing_thresholds_are_reported_together():
    row = only_row({"accuracy": 0.8}, {"accuracy": 0.95}, check(lower_bound=0.9, max_worsening_abs=0.01))
    assert not row.passed
    assert "lower bound" in row.reason and "drop" in row.reason
    assert row.threshold == "≥ 0.9, drop ≤ 0.01"


@pytest.mark.parametrize(
    ("candidate", "baseline", "reason"),
    [
        ({}, {"accuracy": 0.9}, "metric 'accuracy' missing in candidate"),
        ({"accuracy": math.nan}, {"accuracy": 0.9}, "candidate accuracy is nan"),
        ({"accuracy": math.inf}, {"accuracy": 0.9}, "candidate accuracy is inf"),
        ({"accuracy": "0.9"}, {"accuracy": 0.9}, "not a number"),
        ({"accuracy": True}, {"accuracy": 0.9}, "not a number"),
        ({"accuracy": 0.9}, {}, "metric 'accuracy' missing in baseline"),
        ({"accuracy": 0.9}, {"accuracy": math.nan}, "baseline accuracy is nan"),
    ],
)
def test_fails_closed_on_missing_or_unusable_values(candidate, baseline, reason):
    row = only_row(candidate, baseline, check(max_worsening_abs=0.5))
    assert not row.passed
    assert reason in row.reason


def test_nan_candidate_fails_a_bound_check_even_without_baseline():
    row = only_row({"accuracy": math.nan}, None, check(lower_bound=0.5))
    assert not row.passed
    assert row.candidate is None


def test_numpy_scalars_are_accepted():
    row = only_row({"macs": np.int64(100)}, {"macs": np.int64(1000)}, check("macs", "lower", upper_bound=500))
    assert row.passed and row.candidate == 100 and type(row.candidate) is int


SLICED_CANDIDATE = {
    "accuracy": 0.95,
    "slices": {"class=3": {"accuracy": 0.90}, "source=scanner": {"accuracy": 0.80}},
}
SLICED_BASELINE = {
    "accuracy": 0.95,
    "slices": {
        "class=3": {"accuracy": 0.91},
        "source=scanner": {"accuracy": 0.85},
        "class=7": {"accuracy": 0.9},
    },
}


def test_named_slice():
    metric_check = check(slice="class=3", max_worsening_abs=0.02)
    row = only_row(SLICED_CANDIDATE, SLICED_BASELINE, metric_check)
    assert row.passed and row.slice == "class=3"
    assert row.baseline == 0.91 and row.candidate == 0.90


def test_missing_slice_fails_naming_it():
    row = only_row(SLICED_CANDIDATE, SLICED_BASELINE, check(slice="class=9", max_worsening_abs=0.02))
    assert not row.passed
    assert "slice 'class=9' missing in candidate" in row.reason
    row = only_row({"accuracy": 0.9}, None, check(slice="class=3", lower_bound=0.5))
    assert "slice 'class=3' missing in candidate" in row.reason


def test_star_expands_over_slices_of_candidate_and_baseline():
    metric_check = check(slice="*", max_worsening_abs=0.02)
    result = compare_to_baseline(SLICED_CANDIDATE, SLICED_BASELINE, [metric_check], gate="regression")
    by_slice = {row.slice: row for row in result.rows}
    assert list(by_slice) == ["class=3", "class=7", "source=scanner"]
    assert by_slice["class=3"].passed
    assert not by_slice["source=scanner"].passed and "drop 0.05" in by_slice["source=scanner"].reason
    assert not by_slice["class=7"].passed
    assert "slice 'class=7' missing in candidate" in by_slice["class=7"].reason
    assert not result.passed


def test_star_without_any_slices_is_one_failing_row():
    result = compare_to_baseline(
        {"accuracy": 0.9}, {"accuracy": 0.9}, [check(slice="*", lower_bound=0.5)], "g"
    )
    assert len(result.rows) == 1
    assert not result.rows[0].passed and "matched nothing" in result.rows[0].reason


def test_no_baseline_passes_change_checks_but_enforces_bounds():
    checks = [
        check(max_worsening_abs=0.005),
        check("macs", "lower", min_improvement_ratio=4),
        check(lower_bound=0.97),
        check(lower_bound=0.9, max_worsening_rel=0.01),
    ]
    result = compare_to_baseline({"accuracy": 0.95, "macs": 10}, None, checks, gate="regression")
    assert not result.baseline_available
    assert [row.passed for row in result.rows] == [True, True, False, True]
    assert [row.skipped for row in result.rows] == [True, True, False, False]  # bounds were checked
    assert result.rows[0].reason == NO_BASELINE_REASON
    assert result.rows[0].baseline is None and result.rows[0].delta is None
    assert "below the lower bound 0.97" in result.rows[2].reason
    assert not result.passed


def test_baseline_gap_does_not_fail_a_bound_only_check():
    row = only_row({"ece": 0.01}, {"accuracy": 0.9}, check("ece", "lower", upper_bound=0.05))
    assert row.passed and row.baseline is None


def test_empty_check_list_passes():
    result = compare_to_baseline({}, None, [], gate="compression")
    assert result.passed and result.rows == ()


def test_to_dict_is_json_safe():
    checks = [check(max_worsening_abs=0.005), check("ece", "lower", upper_bound=0.1)]
    result = compare_to_baseline({"accuracy": math.nan}, {"accuracy": 0.9}, checks, gate="regression")
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["gate"] == "regression" and data["passed"] is False and data["baseline_available"] is True
    assert {
        "metric",
        "slice",
        "direction",
        "baseline",
        "candidate",
        "delta",
        "threshold",
        "passed",
        "reason",
    } <= set(data["rows"][0])


def test_bless_aggregates_gates():
    passing = compare_to_baseline(
        {"macs": 10}, {"macs": 100}, [check("macs", "lower", min_improvement_ratio=4)], "compression"
    )
    failing = compare_to_baseline(
        {"accuracy": 0.8}, {"accuracy": 0.9}, [check(max_worsening_abs=0.01)], "regression"
    )
    blessing = bless([passing, failing], "student@abc123")
    assert blessing["blessed"] is False
    assert blessing["candidate"] == "student@abc123"
    assert blessing["gates"]["compression"]["passed"] is True
    assert blessing["gates"]["regression"]["passed"] is False
    assert bless([passing], "student@abc123")["blessed"] is True
    json.dumps(blessing, allow_nan=False)


def test_bless_rejects_duplicate_gate_names():
    result = compare_to_baseline({}, None, [], gate="regression")
    with pytest.raises(ValueError, match="gate 'regression' appears twice"):
        bless([result, result], "x")
