import re

import pytest
from tests.conftest import table_rows

from prunegate.gate import (
    REPORT_MARKER,
    MetricCheck,
    bless,
    compare_to_baseline,
    format_number,
    render_gate_report,
)

COMPRESSION = [
    MetricCheck(metric="macs", direction="lower", min_improvement_ratio=4),
    MetricCheck(metric="accuracy", direction="higher", max_worsening_abs=0.01),
]
REGRESSION = [
    MetricCheck(metric="accuracy", direction="higher", max_worsening_abs=0.005),
    MetricCheck(metric="ece", direction="lower", upper_bound=0.05),
    MetricCheck(metric="accuracy", direction="higher", slice="*", max_worsening_abs=0.02),
]
DENSE = {"accuracy": 0.95, "macs": 1_200_000}
CHAMPION = {"accuracy": 0.95, "ece": 0.02, "slices": {"class=3": {"accuracy": 0.9}}}


def _blessing(candidate, champion):
    results = [
        compare_to_baseline(candidate, DENSE, COMPRESSION, "compression"),
        compare_to_baseline(candidate, champion, REGRESSION, "regression"),
    ]
    return bless(results, "student@abc123")


def _table_lines(report, gate):
    section = report.split(f"### {gate}")[1].split("###")[0]
    return [row for row in table_rows(section) if row[1] != "metric"]


def test_blessed_report():
    candidate = {"accuracy": 0.948, "ece": 0.03, "macs": 250_000, "slices": {"class=3": {"accuracy": 0.91}}}
    report = render_gate_report(_blessing(candidate, CHAMPION))
    assert report.splitlines()[0] == REPORT_MARKER
    assert "✅ BLESSED `student@abc123`" in report
    assert "NOT BLESSED" not in report
    assert "✗" not in report
    assert report.count("✓") == len(COMPRESSION) + len(REGRESSION)
    rows = table_rows(report)
    assert ["✓", "`macs`", "all", "1,200,000", "250,000", "-950,000", "≥ 4x better"] in rows
    assert ["✓", "`accuracy`", "all", "0.95", "0.948", "-0.002", "drop ≤ 0.005"] in rows
    assert "No baseline" not in report


def test_not_blessed_report_lists_failing_rows_first_with_reasons():
    candidate = {"accuracy": 0.93, "ece": 0.03, "macs": 400_000, "slices": {"class=3": {"accuracy": 0.85}}}
    blessing = _blessing(candidate, CHAMPION)
    report = render_gate_report(blessing, title="CI gate")
    failing = [row for gate in blessing["gates"].values() for row in gate["rows"] if not row["passed"]]
    assert len(failing) == 4
    assert report.startswith(REPORT_MARKER + "\n")
    assert "## CI gate: ❌ NOT BLESSED `student@abc123`" in report
    assert report.count("✗") == len(failing)
    for gate in ("compression", "regression"):
        marks = [row[0] for row in _table_lines(report, gate)]
        assert marks == sorted(marks, key=lambda mark: mark != "✗")
    assert _table_lines(report, "regression")[0][:3] == ["✗", "`accuracy`", "all"]
    assert "only 3x better < 4x required" in report
    assert "- `accuracy` (class=3): drop 0.05 > 0.02 allowed" in report
    assert report.index("| ✗  | `macs`") < report.index("only 3x better")


def test_no_champion_note_and_plots():
    candidate = {"accuracy": 0.948, "ece": 0.03, "macs": 250_000, "slices": {"class=3": {"accuracy": 0.9}}}
    links = {"confusion matrix": "plots/confusion.png", "reliability": "plots/reliability.png"}
    report = render_gate_report(_blessing(candidate, None), links=links)
    assert "✅ BLESSED" in report
    assert "No baseline (no champion yet)" in report
    assert report.count("No baseline (no champion yet)") == 1
    rows = table_rows(report)
    assert ["–", "`accuracy`", "all", "—", "0.948", "—", "drop ≤ 0.005"] in rows  # skipped, not passed
    assert "skipped for want of a baseline" in report
    headline = re.search(r"(\d+) of (\d+) checks passed across .*; (\d+) skipped", report)
    passed, total, skipped = (int(group) for group in headline.groups())
    marks = [row[0] for row in rows if row[1] != "metric"]
    assert skipped == marks.count("–") > 0  # a skipped check is not counted as passed
    assert passed == marks.count("✓") and passed + skipped == total
    assert "### Plots" in report
    assert "- [confusion matrix](plots/confusion.png)" in report
    assert report.index("### Plots") > report.index("### regression")


def test_empty_gate_and_no_links():
    report = render_gate_report(bless([compare_to_baseline({}, None, [], "compression")], "x"))
    assert "no checks configured" in report and "Plots" not in report


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (1_234_567, False, "1,234,567"),
        (1_234_567, True, "+1,234,567"),
        (-5, True, "-5"),
        (0.95231, False, "0.9523"),
        (0.004, True, "+0.004"),
        (-0.006, True, "-0.006"),
        (12345.678, False, "12,345.678"),
        (2.0, False, "2"),
        (0.0, True, "0"),
        (0.0000123, False, "1.23e-05"),
        (None, True, "—"),
    ],
)
def test_format_number(value, signed, text):
    assert format_number(value, signed=signed) == text
