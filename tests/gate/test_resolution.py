"""The report says when one test row is worth more than a check's allowed drop."""

from prunegate.gate import MetricCheck, render_gate_report
from prunegate.gate.resolution import unresolvable_checks

CHECKS = [
    MetricCheck(metric="accuracy", direction="higher", max_worsening_abs=0.005),
    MetricCheck(metric="accuracy_noise_2", direction="higher", max_worsening_abs=0.02),
    MetricCheck(metric="accuracy", slice="*", direction="higher", max_worsening_abs=0.08),
    MetricCheck(metric="macs", direction="lower", max_worsening_rel=0.1),
]


def _candidate(test_rows, class_rows):
    slices = {f"class={i}": {"accuracy": 1.0, "count": count} for i, count in enumerate(class_rows)}
    return {"test_rows": test_rows, "slices": slices}


def test_a_small_test_split_is_flagged_per_check():
    warnings = unresolvable_checks(CHECKS, _candidate(27, [9, 9, 9]))
    assert len(warnings) == 3  # 3.7 pp > 0.5 pp and > 2 pp; 11.1 pp per class row > 8 pp; macs is no rate
    assert warnings[0].startswith("`accuracy`: one row of the test split (27 rows) is 3.70 pp")
    assert "the smallest slice (class=0) (9 rows) is 11.11 pp" in warnings[2]


def test_a_large_enough_split_is_not_flagged():
    assert unresolvable_checks(CHECKS, _candidate(270, [27] * 10)) == []  # 0.37 pp, 3.7 pp per class
    assert unresolvable_checks(CHECKS, {}) == []  # unknown row counts: nothing to say


def test_the_report_shows_the_warning_above_the_table():
    gate = {"rows": [], "too_few_rows": ["`accuracy`: one row is 3.70 pp"]}
    row = {
        "gate": "compression",
        "metric": "accuracy",
        "slice": None,
        "direction": "higher",
        "baseline": 0.9,
        "candidate": 0.9,
        "delta": 0.0,
        "threshold": "drop ≤ 0.005",
        "passed": True,
        "reason": "",
    }
    gate["rows"] = [row]
    report = render_gate_report({"blessed": True, "candidate": "pruned", "gates": {"compression": gate}})
    assert "> ⚠️ **Too few test rows:** `accuracy`: one row is 3.70 pp." in report
    assert report.index("Too few test rows") < report.index("| metric ")
