"""``make simulate-drift`` end to end: none -> retrain -> rollback, with a real service and real traffic."""

import pytest
from examples.demo.regression import FAST
from examples.demo.simulate_drift import EXPECTED_DECISIONS, run_scenario
from tests.conftest import PROJECT_ROOT, table_rows

pytestmark = pytest.mark.slow

# fewer distillation epochs than the demo: the decisions do not depend on the distilled model
FASTER = [*FAST, ("conf/base/parameters_distillation.yml", "epochs: 20", "epochs: 3")]


def test_drift_triggers_retraining_and_a_bad_promotion_is_rolled_back(tmp_path):
    result = run_scenario(PROJECT_ROOT, tmp_path / "project", edits=FASTER, write=lambda text: None)

    assert result.decisions == list(EXPECTED_DECISIONS), [p.monitor.reasons for p in result.phases]
    held_out, drifted, rollback = result.phases
    assert held_out.traffic.failed == 0
    assert drifted.numbers["drift_share"] >= drifted.numbers["drift_threshold"]
    assert drifted.monitor.action.startswith("retrained")
    numbers = rollback.numbers
    assert numbers["champion_accuracy"] < numbers["previous_accuracy"]
    assert numbers["served_after"] == numbers["previous_tag"]
    assert numbers["served_after"] != numbers["bad_tag"]
    assert rollback.failed_during_swap == 0
    assert ["rollback", "monitor"] in [row[1:3] for row in table_rows(result.registry)]
    assert result.ok
