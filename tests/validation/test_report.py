"""The Markdown report: verdict, ✓/✗ summary table, and one failures table per table."""

from __future__ import annotations

from typing import Any

from tests.conftest import table_rows

from prunegate.validation import render_markdown


def _synthetic_result() -> dict[str, Any]:
    failure = {
        "table": "train",
        "expectation": "expect_column_values_to_be_between",
        "column": "a|b",
        "observed": 2,
        "offending_values": ["inf", 99],
        "message": "2 values outside [0.0, 16.0]\n(second line)",
    }
    return {
        "success": False,
        "tables": {
            "raw": {"success": True, "rows": 100, "evaluated_expectations": 12, "failures": []},
            "train": {"success": False, "rows": 80, "evaluated_expectations": 12, "failures": [failure]},
        },
    }


def test_report_has_verdict_summary_and_sections() -> None:
    report = render_markdown(_synthetic_result())
    lines = report.splitlines()
    assert lines[0] == "# Data validation report"
    assert "**✗ Data validation FAILED** (2 tables)." in lines
    rows = table_rows(report)
    assert ["raw", "✓", "100", "12", "0"] in rows
    assert ["train", "✗", "80", "12", "1"] in rows
    assert "## ✓ raw" in lines and "## ✗ train" in lines
    assert "All 12 expectations passed on 100 rows." in lines


def test_failure_row_escapes_pipes_and_newlines() -> None:
    report = render_markdown(_synthetic_result())
    row = next(row for row in table_rows(report) if row[0].startswith("`a"))
    assert row == [
        "`a\\|b`",
        "expect_column_values_to_be_between",
        "2",
        '["inf", 99]',
        "2 values outside [0.0, 16.0] (second line)",
    ]


def test_report_of_real_failures_lists_every_failure(bad_result: dict[str, Any]) -> None:
    report = render_markdown(bad_result)
    assert "**✗ Data validation FAILED**" in report
    for name, entry in bad_result["tables"].items():
        assert f"## {'✓' if entry['success'] else '✗'} {name}" in report
        for failure in entry["failures"]:
            column = "(table)" if failure["column"] is None else f"`{failure['column']}`"
            assert [column, failure["expectation"]] in [row[:2] for row in table_rows(report)]


def test_report_of_clean_run_passes(clean_result: dict[str, Any]) -> None:
    report = render_markdown(clean_result, title="Digits")
    assert report.startswith("# Digits\n")
    assert "**✓ Data validation passed** (4 tables)." in report
    assert "✗" not in report
