"""The zoo compression benchmark's aggregation decides issue 9's targets from constructed rows."""

import pytest
from benchmarks.zoo_compression_report import FROM_SCRATCH, TP_DEFAULT, summarise
from tests.conftest import table_rows


def _row(seed, method, reduction, accuracy, val_accuracy, macs):
    return {
        "seed": seed,
        "method": method,
        "reduction": reduction,
        "accuracy": accuracy,
        "val_accuracy": val_accuracy,
        "macs": macs,
    }


def _rows(taylor_global_test: float) -> list[dict]:
    rows = []
    for seed in (0, 1):
        rows += [
            _row(seed, "dense", 0.0, 0.90, 0.90, 1000),
            _row(seed, "taylor uniform", 0.9, 0.87, 0.88, 100),
            # best on validation, so it is "the best recipe" whatever its test accuracy
            _row(seed, "taylor global", 0.9, taylor_global_test, 0.89, 100),
            _row(seed, TP_DEFAULT, 0.9, 0.885, 0.87, 100),
            _row(seed, FROM_SCRATCH, 0.9, 0.86, 0.86, 100),
        ]
    return rows


def test_targets_are_decided_from_the_validation_best_recipe():
    summary = summarise(_rows(0.89))
    targets = {target["target"]: target for target in summary["targets"]}
    loss = targets["best recipe (taylor global) loses <= 1.5 pp at 10x"]
    assert loss["value"] == pytest.approx(1.0) and loss["met"]
    assert targets["best recipe >= Torch-Pruning default at 10x (pp)"]["value"] == pytest.approx(0.5)
    assert targets["pruned beats its widths from scratch at 10x (pp)"]["met"]  # 3 pp over scratch
    allocation = targets["global or sensitivity beats uniform in most pairs (1 of 1)"]
    assert allocation["met"]
    row = next(r for r in summary["table"] if r["method"] == "taylor global")
    assert row["mac_ratio"] == (10.0, 0.0) and row["seeds"] == 2


def test_a_worse_best_recipe_misses_the_targets():
    summary = summarise(_rows(0.86))
    assert [target["met"] for target in summary["targets"]] == [False, False, False, False]


def test_a_loss_inside_the_seed_noise_is_marked():
    from types import SimpleNamespace

    from benchmarks.zoo_compression_report import render_report, summarise

    rows = []
    for seed, (steady, scattered) in enumerate([(0.88, 0.95), (0.87, 0.80), (0.88, 0.91)]):
        common = {"seed": seed, "reduction": 0.9, "macs": 10, "val_accuracy": 0.5}
        rows += [
            {**common, "method": "dense", "reduction": 0.0, "macs": 100, "accuracy": 0.90},
            {**common, "method": "steady", "accuracy": steady},
            {**common, "method": "scattered", "accuracy": scattered},
        ]
    summary = summarise(rows)
    marks = {row["method"]: row["loss_within_noise"] for row in summary["table"]}
    assert marks == {"steady": False, "scattered": True}
    config = SimpleNamespace(dataset="d", seeds=(0, 1, 2), dense_epochs=1, finetune_epochs=1)
    rows = table_rows(render_report(config, summary))
    assert ["0.9", "scattered", "10.0x", "0.8867 ± 0.0777", "+1.33 ± 7.77 (within noise)"] in [
        r[:5] for r in rows
    ]
