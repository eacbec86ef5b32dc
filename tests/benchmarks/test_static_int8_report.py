"""The int8 benchmark's summary: mean ± std per model and stage, targets judged on the pruned model."""

from types import SimpleNamespace

import pytest
from benchmarks.static_int8_report import render_report, summarise
from tests.conftest import table_rows


def _row(model, stage, seed, loss_pp, speedup_b32):
    return {
        "model": model,
        "dataset": "signal_templates",
        "stage": stage,
        "seed": seed,
        "test_rows": 200,
        "macs": 1000 if stage == "dense" else 100,
        "float_accuracy": 0.9,
        "int8_accuracy": 0.9 - loss_pp / 100,
        "extra_loss_pp": loss_pp,
        "float_ms_b1": 0.1,
        "int8_ms_b1": 0.1,
        "speedup_b1": 1.0,
        "float_ms_b32": 1.0,
        "int8_ms_b32": 1.0 / speedup_b32,
        "speedup_b32": speedup_b32,
    }


def test_targets_are_judged_on_the_pruned_model_mean_over_seeds():
    rows = [
        _row("fast", "dense", 0, 5.0, 0.5),  # the dense rows never decide a target
        _row("fast", "pruned", 0, 0.0, 2.0),
        _row("fast", "pruned", 1, 1.0, 1.2),  # mean loss 0.5 (met), mean speedup 1.6 (met)
        _row("slow", "pruned", 0, 0.5, 1.4),
        _row("slow", "pruned", 1, 1.0, 1.5),  # mean loss 0.75 (not met), mean speedup 1.45 (not met)
    ]
    summary = summarise(rows)
    targets = {t["model"]: t for t in summary["targets"]}
    assert set(targets) == {"fast", "slow"}
    assert targets["fast"]["loss_met"] and targets["fast"]["speedup_met"]
    assert not targets["slow"]["loss_met"] and not targets["slow"]["speedup_met"]
    assert targets["fast"]["speedup_b32"][0] == pytest.approx(1.6)
    assert targets["fast"]["speedup_b32"][1] > 0
    report = render_report(SimpleNamespace(seeds=(0, 1), reduction=0.9), summary)
    rows = table_rows(report)
    assert ["fast", "0.50 ± 0.71 (1 row = 0.50 pp)", "met", "1.60 ± 0.57x", "met"] in rows
    assert ["slow", "0.75 ± 0.35 (1 row = 0.50 pp)", "NOT met", "1.45 ± 0.07x", "NOT met"] in rows
