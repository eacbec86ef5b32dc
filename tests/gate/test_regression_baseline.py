import pytest

from prunegate.gate import (
    TEST_SPLIT_FINGERPRINT,
    MetricCheck,
    bless,
    choose_regression_baseline,
    compare_to_baseline,
    render_gate_report,
)

THIS_SPLIT = "a" * 64
OLD_SPLIT = "b" * 64
CANDIDATE = {"accuracy": 0.95, TEST_SPLIT_FINGERPRINT: THIS_SPLIT}
COMMITTED = {"accuracy": 0.97, TEST_SPLIT_FINGERPRINT: OLD_SPLIT}
REEVALUATED = {"accuracy": 0.951, TEST_SPLIT_FINGERPRINT: THIS_SPLIT}
CHECKS = [MetricCheck(metric="accuracy", direction="higher", max_worsening_abs=0.005)]


def test_the_champion_reevaluated_on_this_split_is_preferred():
    baseline = choose_regression_baseline(CANDIDATE, COMMITTED, REEVALUATED)
    assert baseline.metrics is REEVALUATED
    assert baseline.source == "reevaluated"
    assert baseline.description == "champion re-evaluated on this run's test split"
    assert baseline.warnings == () and baseline.notes == ()


@pytest.mark.parametrize("reevaluated", [None, {}])
def test_without_reevaluation_the_committed_metrics_are_used_and_a_split_change_is_flagged(reevaluated):
    baseline = choose_regression_baseline(CANDIDATE, COMMITTED, reevaluated)
    assert baseline.metrics is COMMITTED
    assert baseline.to_dict()["description"] == "champion/metrics.json as committed"
    [warning] = baseline.warnings
    assert "different test splits" in warning
    assert f"`{OLD_SPLIT[:12]}`" in warning and f"`{THIS_SPLIT[:12]}`" in warning


def test_committed_metrics_of_the_same_split_need_no_warning():
    committed = {**COMMITTED, TEST_SPLIT_FINGERPRINT: THIS_SPLIT}
    baseline = choose_regression_baseline(CANDIDATE, committed, None)
    assert baseline.warnings == ()
    assert baseline.notes == (f"measured on the same test split as this run (`{THIS_SPLIT[:12]}`)",)


def test_committed_metrics_without_a_fingerprint_are_used_with_a_note():
    committed = {"accuracy": 0.97}  # promoted before metrics carried their split
    baseline = choose_regression_baseline(CANDIDATE, committed, None)
    assert baseline.source == "committed"
    assert baseline.warnings == ()
    assert "unknown" in baseline.notes[0]


def test_a_reevaluation_of_another_split_is_stale_and_not_used():
    stale = {**REEVALUATED, TEST_SPLIT_FINGERPRINT: OLD_SPLIT}
    baseline = choose_regression_baseline(CANDIDATE, None, stale)
    assert baseline.source == "none"
    assert baseline.metrics is None
    assert "stale, not used" in baseline.warnings[0]


def test_no_champion_at_all():
    baseline = choose_regression_baseline(CANDIDATE, None, None)
    assert (baseline.source, baseline.metrics, baseline.warnings) == ("none", None, ())


def test_the_report_shows_the_baseline_and_its_warning_above_the_table():
    baseline = choose_regression_baseline(CANDIDATE, COMMITTED, None)
    blessing = bless([compare_to_baseline(CANDIDATE, baseline.metrics, CHECKS, "regression")], "pruned")
    blessing["gates"]["regression"]["baseline"] = baseline.to_dict()
    report = render_gate_report(blessing)
    section = report.split("### regression")[1]
    lines = section.splitlines()
    assert lines[2] == "Baseline: **champion/metrics.json as committed**."
    warning = lines.index(f"> ⚠️ **Warning:** {baseline.warnings[0]}")
    assert warning < next(
        index for index, line in enumerate(lines) if line.replace(" ", "").startswith("||metric|")
    )
    assert "✗" in section  # 0.95 vs the committed 0.97: the thresholds still decide
