"""The scale benchmark's targets: linear growth of ingest + validate, peak memory, the drift check."""

import pytest
from benchmarks.scale_report import render_report, summarise
from tests.conftest import table_rows


def _results(ingest, validate, drift, rss):
    rows = []
    for size, i, v, d, r in zip((10_000, 1_000_000), ingest, validate, drift, rss, strict=True):
        for stage, work in (("ingest", i), ("validate", v), ("train", 1.0), ("drift", d)):
            rows.append(
                {
                    "rows": size,
                    "stage": stage,
                    "work_s": work,
                    "import_s": 1.0,
                    "wall_s": work + 2,
                    "peak_rss_mb": r,
                }
            )
            if stage == "drift":  # what the stage reports: 70 % of the rows are the train reference
                tested = min(size * 7 // 10, 20_000)
                rows[-1].update(
                    reference_rows=size * 7 // 10,
                    tested_reference_rows=tested,
                    window_rows=100_000,
                    tested_window_rows=20_000,
                )
    return rows


def test_linear_growth_small_memory_and_a_fast_drift_check_meet_every_target():
    summary = summarise(_results((0.1, 10.0), (1.0, 100.0), (5.0, 9.0), (300, 3000)))
    assert [t["met"] for t in summary["targets"]] == [True, True, True]
    assert summary["targets"][0]["value"] == pytest.approx(100.0)


def test_superlinear_growth_too_much_memory_or_a_slow_drift_check_fail():
    summary = summarise(_results((0.1, 20.0), (1.0, 200.0), (5.0, 12.0), (300, 5000)))
    assert [t["met"] for t in summary["targets"]] == [False, False, False]
    report = render_report(summary, _results((0.1, 20.0), (1.0, 200.0), (5.0, 12.0), (300, 5000)))
    assert ["ingest + validate time, 1,000,000 / 10,000 rows", "200.0", "<= 110x", "NOT met"] in table_rows(
        report
    )


def test_the_report_names_the_drift_reference_and_the_sample():
    results = _results((0.1, 10.0), (1.0, 100.0), (5.0, 9.0), (300, 3000))
    summary = summarise(results)
    drift_target = summary["targets"][2]["target"]
    assert drift_target == (
        "read + drift check of 100,000 logged rows against a 700,000-row reference, "
        "tested on samples of 20,000 and 20,000 rows (s)"
    )
    rows = table_rows(render_report(summary, results))
    assert ["10,000", "7,000", "7,000", "100,000", "20,000", "5.00"] in rows  # a small reference: every row
    assert ["1,000,000", "700,000", "20,000", "100,000", "20,000", "9.00"] in rows


@pytest.mark.slow
def test_every_stage_runs_on_real_code_in_its_own_process(tmp_path):
    """A 3,000-row run of the real benchmark: every stage reports its work time and peak memory."""
    from benchmarks import scale

    assert (
        scale.main(["--rows", "3000", "--features", "8", "--window-rows", "2000", "--out", str(tmp_path)])
        == 0
    )
    report = (tmp_path / "bench_scale.md").read_text()
    rows = table_rows(report)
    for stage in ("ingest", "validate", "train", "drift"):
        assert any(row[:2] == ["3,000", stage] for row in rows)
    assert "every row tested" in report  # 2,000 logged rows, under the shipped sample size
