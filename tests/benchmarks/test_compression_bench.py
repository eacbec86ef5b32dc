"""The pure parts of the compression benchmark: aggregation, target verdicts and the markdown report."""

import math

import pytest
from benchmarks.compression_grid import FULL, QUICK, CompressionGrid, Targets
from benchmarks.compression_stats import aggregate, check_targets, metric_mean, metric_std
from benchmarks.compression_table import render_report
from tests.conftest import table_rows

TARGETS = Targets()


def _row(section, method, target, seed=0, error=None, **values):
    return {"seed": seed, "section": section, "method": method, "target": target, **values, "error": error}


def _structured(criterion, allocation, target, seed=0, **values):
    labels = {"criterion": criterion, "allocation": allocation}
    return _row("structured", f"{criterion} / {allocation}", target, seed, **labels, **values)


def _by_key(aggregates):
    return {(entry["section"], entry["method"], entry["target"]): entry for entry in aggregates}


def test_aggregate_groups_by_method_and_target_with_mean_and_sample_std():
    rows = [
        _structured("taylor", "uniform", 0.9, seed=0, accuracy=0.90, widths="26-13"),
        _structured("taylor", "uniform", 0.9, seed=1, accuracy=0.80, widths="26-13"),
        _structured("taylor", "uniform", 0.5, seed=0, accuracy=0.95, widths="128-64"),
        _structured("taylor", "sensitivity", 0.9, seed=0, accuracy=0.70, widths="30-10"),
        _structured("taylor", "sensitivity", 0.9, seed=1, accuracy=0.75, widths="28-12"),
    ]
    groups = _by_key(aggregate(rows))

    assert len(groups) == 3
    uniform = groups[("structured", "taylor / uniform", 0.9)]
    assert metric_mean(uniform, "accuracy") == pytest.approx(0.85)
    assert metric_std(uniform, "accuracy") == pytest.approx(math.sqrt(0.005))
    assert uniform["n_ok"] == 2 and uniform["seeds"] == [0, 1]
    assert uniform["labels"] == {"criterion": "taylor", "allocation": "uniform", "widths": "26-13"}
    single = groups[("structured", "taylor / uniform", 0.5)]
    assert metric_std(single, "accuracy") == 0.0
    # A label that differs between seeds is kept as the list of its distinct values.
    assert groups[("structured", "taylor / sensitivity", 0.9)]["labels"]["widths"] == ["30-10", "28-12"]


def test_aggregate_counts_failed_rows_without_their_numbers():
    rows = [
        _structured("snip", "uniform", 0.9, seed=0, accuracy=0.9),
        _row("structured", "snip / uniform", 0.9, seed=1, error="ValueError: budget cannot be met"),
        _row("structured", "obd / uniform", 0.9, seed=0, error="RuntimeError: boom"),
    ]
    groups = _by_key(aggregate(rows))

    partial = groups[("structured", "snip / uniform", 0.9)]
    assert (partial["n_ok"], partial["n_failed"]) == (1, 1)
    assert partial["errors"] == ["seed 1: ValueError: budget cannot be met"]
    assert metric_mean(partial, "accuracy") == pytest.approx(0.9)
    failed = groups[("structured", "obd / uniform", 0.9)]
    assert failed["n_ok"] == 0 and metric_mean(failed, "accuracy") is None


def _passing_rows():
    return [
        _structured(
            "taylor", "uniform", 0.9, accuracy=0.97, accuracy_drop_pp=0.8, mac_ratio=10.1, speedup_b256=7.5
        ),
        _structured(
            "taylor",
            "sensitivity",
            0.9,
            accuracy=0.98,
            accuracy_drop_pp=0.3,
            mac_ratio=10.2,
            speedup_b256=7.4,
        ),
        _structured(
            "obd", "uniform", 0.9, accuracy=0.96, accuracy_drop_pp=1.8, mac_ratio=10.1, speedup_b256=7.5
        ),
        _structured(
            "obd", "sensitivity", 0.9, accuracy=0.97, accuracy_drop_pp=0.8, mac_ratio=10.3, speedup_b256=7.6
        ),
        _row(
            "unstructured", "global magnitude_l1", 0.9, accuracy=0.98, accuracy_drop_pp=0.4, sparsity=0.90001
        ),
    ]


def _verdicts(checks):
    return {check.key: check.met for check in checks}


def test_targets_met_when_the_means_reach_them():
    checks = check_targets(aggregate(_passing_rows()), TARGETS)

    assert _verdicts(checks) == {"a": True, "b": True, "c": True, "d": True}
    assert "taylor / sensitivity @ 0.9" in checks[0].summary
    assert "wins 2 of 2" in checks[3].summary


def test_targets_not_met_when_any_number_falls_short():
    rows = [
        # (a) 10x models all lose too much; the one within 0.5 pp has fewer than 10x fewer MACs.
        _structured(
            "taylor", "uniform", 0.9, accuracy=0.98, accuracy_drop_pp=0.6, mac_ratio=10.1, speedup_b256=3.0
        ),
        _structured(
            "taylor", "sensitivity", 0.9, accuracy=0.98, accuracy_drop_pp=0.6, mac_ratio=10.2, speedup_b256=3
        ),
        _structured(
            "obd", "uniform", 0.9, accuracy=0.97, accuracy_drop_pp=1.0, mac_ratio=10.1, speedup_b256=3.0
        ),
        _structured(
            "obd", "sensitivity", 0.9, accuracy=0.96, accuracy_drop_pp=2.0, mac_ratio=10.1, speedup_b256=3.0
        ),
        _structured(
            "obd", "uniform", 0.5, accuracy=0.99, accuracy_drop_pp=0.0, mac_ratio=2.0, speedup_b256=1.9
        ),
        # (b) 80% is not enough sparsity, and 95% loses too much.
        _row("unstructured", "global magnitude_l1", 0.8, accuracy=0.99, accuracy_drop_pp=0.0, sparsity=0.8),
        _row("unstructured", "global magnitude_l1", 0.95, accuracy=0.97, accuracy_drop_pp=1.5, sparsity=0.95),
    ]
    checks = check_targets(aggregate(rows), TARGETS)

    assert _verdicts(checks) == {"a": False, "b": False, "c": False, "d": False}
    assert "0 of 4" in checks[0].summary
    # (c) reports every MAC budget: 0.5 reaches 1.9 / 2.0 = 0.95, 0.9 only 3.0 / 10.1.
    assert "1 of 2 MAC budgets" in checks[2].summary
    assert any("reduction 0.5" in line and line.endswith(" met") for line in checks[2].details)
    # (d) one tie and one loss is no win.
    assert "wins 0 of 2" in checks[3].summary and "ties 1" in checks[3].summary


def test_half_the_pairs_is_not_a_majority_and_a_failed_allocation_loses():
    rows = [
        _structured("taylor", "uniform", 0.9, accuracy=0.90),
        _structured("taylor", "sensitivity", 0.9, accuracy=0.95),
        _structured("obd", "uniform", 0.9, accuracy=0.90),
        _row(
            "structured",
            "obd / sensitivity",
            0.9,
            criterion="obd",
            allocation="sensitivity",
            error="ValueError: x",
        ),
    ]
    check = check_targets(aggregate(rows), TARGETS)[3]

    assert not check.met
    assert "wins 1 of 2" in check.summary and "loses 1" in check.summary


def test_targets_nothing_measured_are_not_met():
    checks = check_targets(aggregate([_row("dense", "dense", None, accuracy=0.98)]), TARGETS)

    assert not any(check.met for check in checks)


def _meta():
    return {
        "seeds": [0, 1],
        "grid": "full",
        "test_rows": 270,
        "latency_batches": [1, 256],
        "threads": 1,
        "warmup": 10,
        "repeats": 50,
        "training_threads": 1,
        "unstructured_criterion": "magnitude_l1",
        "schedule": "iterative",
        "steps": 3,
        "finetune_epochs": 60,
        "training_epochs": 80,
        "distillation_epochs": 150,
        "temperature": 4.0,
        "alpha": 0.7,
        "student": "taylor / uniform @ 0.9",
        "student_reduction": 0.9,
    }


def test_report_has_every_section_the_numbers_and_the_verdicts():
    rows = [
        _row("dense", "dense", None, accuracy=0.98, macs=50432, params=50826),
        *_passing_rows(),
        _row(
            "structured",
            "snip / uniform",
            0.9,
            criterion="snip",
            allocation="uniform",
            error="ValueError: no",
        ),
        _row("distillation", "distilled (KD)", 0.9, accuracy=0.97, accuracy_drop_pp=1.0, widths="26-13"),
        _row(
            "quantization",
            "int8 dynamic",
            0.9,
            accuracy=0.97,
            accuracy_drop_pp=1.1,
            source="taylor / uniform",
        ),
    ]
    aggregates = aggregate(rows)
    report = render_report(aggregates, check_targets(aggregates, TARGETS), _meta())

    for header in (
        "# Compression benchmark",
        "## Dense teacher",
        "## 1. Unstructured",
        "## 2. Structured",
        "## 3. Distillation",
        "## 4. int8 dynamic quantization",
        "## Targets",
        "## Notes",
    ):
        assert header in report
    rows = table_rows(report)
    assert ["MAC reduction", "criterion", "allocation", "acc drop (pp)", "MAC ratio"] in [r[:5] for r in rows]
    assert any(row[i : i + 2] == ["speedup b256", "speedup b1"] for row in rows for i in range(len(row)))
    assert ["0.9", "taylor", "sensitivity", "0.30 ± 0.00", "10.20 ± 0.00x"] in [r[:5] for r in rows]
    assert "**(a) ≥ 10x fewer MACs at ≤ 0.5 pp accuracy loss: met**" in report
    assert "snip / uniform @ 0.9: seed 0: ValueError: no" in report
    assert "0 (1 failed)" in report


def test_grids_keep_the_student_configuration_inside_the_grid():
    assert QUICK.student_reduction in QUICK.structured_reductions
    assert set(FULL.criteria) >= {"magnitude_l1", "magnitude_l2", "taylor", "obd", "activation", "snip"}
    with pytest.raises(ValueError, match=r"student_reduction 0\.9 must be one of"):
        CompressionGrid("magnitude_l1", (0.9,), (0.5,), ("taylor",), ("uniform",))
    with pytest.raises(ValueError, match="must be in the grid"):
        CompressionGrid("magnitude_l1", (0.9,), (0.9,), ("obd",), ("uniform",))
