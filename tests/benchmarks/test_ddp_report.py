"""The DDP benchmark's summary: paired differences per seed, time ratios, and the table."""

import pytest
from benchmarks.ddp import render_report, summarise
from tests.conftest import table_rows


def _run(accuracy: float, seconds: float) -> dict:
    return {
        stage: {"accuracy": accuracy, "seconds": seconds} for stage in ("training", "pruning", "distillation")
    }


def test_the_summary_pairs_seeds_and_the_table_shows_each_stage():
    runs = {"1": [_run(0.90, 2.0), _run(0.94, 2.0)], "2": [_run(0.91, 6.0), _run(0.95, 6.0)]}
    summary = summarise(runs, 2)
    training = summary["training"]
    assert training["difference"] == pytest.approx(0.01)
    low, high = training["difference_interval"]
    assert low == pytest.approx(0.01) and high == pytest.approx(0.01)  # the same +1 pp on both seeds
    assert training["time_ratio"] == pytest.approx(3.0)
    report = render_report({"nproc": 2, "seeds": [0, 1], "quick": False, "cores": 2, "summary": summary})
    rows = table_rows(report)
    assert [row[3] for row in rows].count("+1.00 [+1.00, +1.00]") == 3
    assert ["training", "0.9200 ± 0.0283", "0.9300 ± 0.0283"] in [row[:3] for row in rows]
