import pytest

from prunegate.monitoring.policy import Decision, MonitoringPolicy, decide

POLICY = MonitoringPolicy(
    drift_share_threshold=0.3, min_rows=100, accuracy_tolerance=0.02, min_labelled_rows=50
)
CALM = {"rows_current": 500, "drift_share": 0.05, "drifted_columns": ["pixel_1_1"], "prediction_drift": False}
DRIFTED = {**CALM, "drift_share": 0.3, "drifted_columns": ["pixel_1_1", "pixel_2_2"]}
SAME = {"labelled_rows": 80, "champion_accuracy": 0.95, "previous_accuracy": 0.96}
WORSE = {"labelled_rows": 80, "champion_accuracy": 0.90, "previous_accuracy": 0.95}


def test_no_drift_and_no_regression_is_none():
    decision = decide(CALM, SAME, POLICY)
    assert decision == Decision("none", decision.reasons)
    assert decision.reasons[0].startswith("no dataset drift: 5.0%")


def test_drift_share_at_the_threshold_is_retrain_naming_columns():
    decision = decide(DRIFTED, SAME, POLICY)
    assert decision.action == "retrain"
    assert "dataset drift: 30.0% of feature columns drifted" in decision.reasons[0]
    assert "pixel_2_2" in decision.reasons[0]
    assert decide({**DRIFTED, "drift_share": 0.29}, SAME, POLICY).action == "none"


def test_regression_beyond_tolerance_is_rollback_and_wins_over_retrain():
    assert decide(CALM, WORSE, POLICY).action == "rollback"
    decision = decide(DRIFTED, WORSE, POLICY)
    assert decision.action == "rollback"
    assert decision.reasons[0].startswith("champion accuracy 0.9000 vs previous champion 0.9500")
    assert any("dataset drift" in reason for reason in decision.reasons[1:])


@pytest.mark.parametrize(
    ("live", "skipped"),
    [
        ({**WORSE, "champion_accuracy": 0.931}, None),  # gap 0.019 <= tolerance
        ({**WORSE, "labelled_rows": 49}, "49 labelled rows < min_labelled_rows 50"),
        ({**WORSE, "previous_accuracy": None}, "no previous champion"),
        ({**WORSE, "champion_accuracy": None}, "no live accuracy"),
    ],
)
def test_no_rollback_within_tolerance_or_without_evidence(live, skipped):
    decision = decide(CALM, live, POLICY)
    assert decision.action == "none"
    if skipped:
        assert any(skipped in reason for reason in decision.reasons)


def test_not_enough_traffic_decides_nothing_even_with_drift_and_regression():
    decision = decide({**DRIFTED, "rows_current": 99}, WORSE, POLICY)
    assert decision.action == "none"
    assert decision.reasons == ["not enough traffic: 99 rows in the window < min_rows 100"]


def test_unmeasured_drift_is_not_retrain_and_prediction_drift_is_only_a_note():
    unmeasured = {"rows_current": 500, "drift_share": None}
    assert decide(unmeasured, SAME, POLICY).reasons[0] == "dataset drift not measured"
    decision = decide({**CALM, "prediction_drift": True}, SAME, POLICY)
    assert decision.action == "none"
    assert decision.reasons[-1].startswith("note: prediction drift")
    assert decision.to_dict() == {"action": "none", "reasons": decision.reasons}
