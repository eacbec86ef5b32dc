"""The energy benchmark's target: less energy than the MAC budget, accuracy not worse beyond the noise."""

from types import SimpleNamespace

from benchmarks.energy_allocation_report import DEEPER, MACS, SAME_ENERGY, render_report, summarise
from tests.conftest import table_rows


def _rows(model, macs_acc, same_acc, deeper_acc, deeper_energy):
    rows = []
    for seed, (a, s, d, e) in enumerate(zip(macs_acc, same_acc, deeper_acc, deeper_energy, strict=True)):
        common = {"model": model, "seed": seed, "macs": 10, "val_accuracy": 0.5}
        rows += [
            {**common, "method": "dense", "energy_uj": 100.0, "energy_ratio": 1.0, "accuracy": 0.95},
            {**common, "method": MACS, "energy_uj": 10.0, "energy_ratio": 10.0, "accuracy": a},
            {**common, "method": SAME_ENERGY, "energy_uj": 10.0, "energy_ratio": 10.0, "accuracy": s},
            {**common, "method": DEEPER, "energy_uj": e, "energy_ratio": 100 / e, "accuracy": d},
        ]
    return rows


def test_met_when_energy_is_lower_and_accuracy_within_the_noise():
    within = _rows("within", [0.90, 0.91, 0.92], [0.91, 0.91, 0.92], [0.90, 0.90, 0.93], [7.0, 7.0, 7.0])
    worse = _rows("worse", [0.90, 0.91, 0.92], [0.90, 0.91, 0.92], [0.85, 0.86, 0.86], [7.0, 7.0, 7.0])
    summary = summarise(within + worse)
    targets = {t["model"]: t for t in summary["targets"]}
    assert targets["within"]["met"] and not targets["worse"]["met"]
    assert targets["within"]["deeper_energy_uj"] == (-3.0, 0.0)
    report = render_report(SimpleNamespace(seeds=(0, 1, 2), reduction=0.9, deeper=0.7), summary)
    rows = table_rows(report)
    assert ["within", "+0.33 ± 0.58", "-3.00 ± 0.00", "+0.00 ± 1.00", "met"] in rows
    assert "worse" in [row[0] for row in rows] and "NOT met" in report


def test_not_met_when_the_energy_run_is_not_lower():
    rows = _rows("same", [0.90, 0.91], [0.90, 0.91], [0.95, 0.95], [10.0, 11.0])
    assert not summarise(rows)["targets"][0]["met"]


def test_a_wide_spread_does_not_hide_a_lower_mean_accuracy():
    rows = _rows("spread", [0.90, 0.90, 0.90], [0.90, 0.90, 0.90], [0.90, 0.65, 0.90], [7.0, 7.0, 7.0])
    assert not summarise(rows)["targets"][0]["met"]
