"""The ablation report: paired differences against the shipped recipe, their interval, the OOD target."""

import json
import math
from types import SimpleNamespace

import pytest
from benchmarks.ablation_report import (
    DENSE,
    SHIPPED,
    ablation_plot,
    render_report,
    summarise,
)
from benchmarks.common import paired_interval
from tests.conftest import table_rows

CONFIG = SimpleNamespace(seeds=(0, 1, 2), reduction=0.9, dense_epochs=30, finetune_epochs=15)


def _rows(model, shipped, variant, *, dense_ood=0.90, shipped_ood=(0.89, 0.90, 0.91)):
    """Per seed: the dense model, the shipped recipe and one variant (accuracies given per seed)."""
    rows = []
    for seed, (s, v, ood) in enumerate(zip(shipped, variant, shipped_ood, strict=True)):
        common = {"model": model, "seed": seed, "macs": 10, "params": 5, "val_accuracy": 0.5}
        rows += [
            {
                **common,
                "method": DENSE,
                "accuracy": 0.95,
                "ood_auroc_msp": dense_ood,
                "ood_auroc_energy": dense_ood,
            },
            {**common, "method": SHIPPED, "accuracy": s, "ood_auroc_msp": ood, "ood_auroc_energy": ood},
            {
                **common,
                "method": "no fine-tuning",
                "accuracy": v,
                "ood_auroc_msp": 0.5,
                "ood_auroc_energy": 0.5,
            },
        ]
    return rows


def test_paired_interval_is_the_t_interval_of_the_differences():
    mean, low, high = paired_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and mean - low == pytest.approx(high - mean)
    assert high - mean == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) = 4.3027
    assert paired_interval([1.5])[1:] == (-math.inf, math.inf)


def test_a_consistent_loss_is_outside_the_noise_and_a_scattered_one_inside():
    consistent = _rows("consistent", [0.90, 0.92, 0.94], [0.80, 0.82, 0.84])  # -10 pp on every seed
    scattered = _rows("scattered", [0.90, 0.92, 0.94], [0.95, 0.80, 0.93])  # -3 pp mean, +5 / -12 / -1
    summary = summarise(consistent + scattered)
    json.dumps(summary, allow_nan=False)  # written as the benchmark's JSON report
    table = {(e["model"], e["method"]): e for e in summary["table"]}
    loss = table[("consistent", "no fine-tuning")]
    assert loss["accuracy_change_pp"][0] == pytest.approx(-10.0)
    assert loss["baseline"] == SHIPPED and not loss["within_noise"]
    assert table[("scattered", "no fine-tuning")]["within_noise"]
    assert "accuracy_change_pp" not in table[("consistent", SHIPPED)]  # the reference itself


def test_the_ood_target_is_the_paired_auroc_change_of_the_shipped_model():
    close = _rows("close", [0.9] * 3, [0.8] * 3, dense_ood=0.90, shipped_ood=(0.89, 0.90, 0.90))
    worse = _rows("worse", [0.9] * 3, [0.8] * 3, dense_ood=0.90, shipped_ood=(0.80, 0.85, 0.86))
    better = _rows("better", [0.9] * 3, [0.8] * 3, dense_ood=0.80, shipped_ood=(0.90, 0.90, 0.90))
    targets = {t["model"]: t for t in summarise(close + worse + better)["ood_targets"]}
    assert targets["close"]["met"] and targets["close"]["no_worse"]
    assert not targets["worse"]["met"] and not targets["worse"]["no_worse"]
    assert not targets["better"]["met"] and targets["better"]["no_worse"]
    assert targets["worse"]["ood_auroc_msp_change"][0] == pytest.approx(-0.19 / 3)


def test_report_and_plot_show_every_variant():
    summary = summarise(_rows("m", [0.90, 0.92, 0.94], [0.80, 0.82, 0.84]))
    report = render_report(CONFIG, summary)
    rows = table_rows(report)
    assert ["m", "no fine-tuning", "0.8200 ± 0.0200", "-10.00 ± 0.00 (-10.00, -10.00)"] in [
        r[:4] for r in rows
    ]
    assert ["m", "mean over sets", "+0.000 ± 0.010", "+0.000 ± 0.010", "met", "met"] in rows
    figure = ablation_plot(summary)
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels == [f"no fine-tuning (vs {SHIPPED})"]


@pytest.mark.slow
def test_the_ablation_benchmark_runs_end_to_end(tmp_path, monkeypatch):
    """``--quick`` on the real zoo model: every variant pruned to the budget, report, plot and JSON."""
    from pathlib import Path

    from benchmarks import ablation

    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # the shipped conf/base parameters
    assert ablation.main(["--quick", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "ablation.json").exists()  # a smoke run never replaces the study's files
    result = json.loads((tmp_path / "ablation_quick.json").read_text())
    methods = [row["method"] for row in result["rows"]]
    assert methods[:2] == [DENSE, SHIPPED] and len(methods) == len(set(methods)) == 9
    dense_macs = result["rows"][0]["macs"]
    assert all(
        row["macs"] <= 0.1 * dense_macs * 1.05
        for row in result["rows"]
        if not row["method"].startswith(DENSE)
    )
    report = (tmp_path / "ablation_quick.md").read_text()
    assert report.startswith("> **Smoke run**") and "## Target: OOD AUROC" in report
    cells = [cell for row in table_rows(report) for cell in row]
    assert any("(one seed: no interval)" in cell for cell in cells)
    assert not any("within noise" in cell for cell in cells)
    assert (tmp_path / "ablation_quick.png").stat().st_size > 10_000


def test_the_ood_target_is_also_judged_per_ood_set_and_the_report_renders_again_from_json(tmp_path):
    from benchmarks.ablation_report import main

    rows = _rows("m", [0.9] * 3, [0.8] * 3, dense_ood=0.90, shipped_ood=(0.90, 0.90, 0.90))
    for row in rows:  # one stable set and one that swings with the seed
        row["ood_auroc_msp_near"] = row["ood_auroc_energy_near"] = 0.8
        swing = 0.1 if row["method"] == DENSE else 0.9 * (row["seed"] % 2)
        row["ood_auroc_msp_far"] = row["ood_auroc_energy_far"] = swing
    targets = {t["ood_set"]: t for t in summarise(rows)["ood_targets"]}
    assert list(targets) == ["mean over sets", "near", "far"]
    assert targets["near"]["met"] and not targets["far"]["met"]

    path = tmp_path / "ablation.json"
    config = {"seeds": [0, 1, 2], "reduction": 0.9, "dense_epochs": 30, "finetune_epochs": 15}
    path.write_text(json.dumps({"config": config, "rows": rows}))
    assert main([str(path)]) == 0
    assert ["m", "far"] in [row[:2] for row in table_rows((tmp_path / "ablation.md").read_text())]
    assert (tmp_path / "ablation.png").stat().st_size > 0
    assert "summary" in json.loads(path.read_text())
