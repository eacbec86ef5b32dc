"""Aggregate and render :mod:`benchmarks.energy_allocation`: mean ± std, and the target.

Target (issue 12): ``energy`` allocation lowers the estimated energy per inference more than ``macs``
allocation at the same accuracy. It is judged per model on the paired seeds: the deeper energy-budget
run has less energy than the MAC-budget run, and its accuracy is not worse beyond the noise (the mean
paired difference plus its seed-to-seed standard deviation is at least zero, and the mean loses at most
0.5 pp).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from benchmarks.common import mean_std
from prunegate.reporting.markdown import markdown_table

__all__ = ["DEEPER", "MACS", "SAME_ENERGY", "render_report", "summarise"]

MACS = "macs budget"
SAME_ENERGY = "energy budget, same energy"
DEEPER = "energy budget, deeper"
_MEASURES = ("energy_uj", "energy_ratio", "macs", "accuracy", "val_accuracy")
_PP = 100.0
MAX_MEAN_LOSS_PP = 0.5  # "the same accuracy": a wide spread over seeds must not hide a lower mean


def _paired(rows: list[dict[str, Any]], model: str, method: str, key: str) -> list[float]:
    """Per seed: ``method``'s ``key`` minus the MAC-budget run's."""
    by_seed: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        if row["model"] == model:
            by_seed[row["seed"]][row["method"]] = row
    return [
        runs[method][key] - runs[MACS][key] for runs in by_seed.values() if method in runs and MACS in runs
    ]


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per (model, method) every measure as (mean, std); per model the paired comparison and the target."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[(row["model"], row["method"])].append(row)
    table = [
        {
            "model": model,
            "method": method,
            "seeds": len(members),
            **{name: mean_std([float(r[name]) for r in members]) for name in _MEASURES},
        }
        for (model, method), members in cells.items()
    ]
    targets = []
    for model in dict.fromkeys(row["model"] for row in rows):
        same_acc = [d * _PP for d in _paired(rows, model, SAME_ENERGY, "accuracy")]
        deeper_acc = [d * _PP for d in _paired(rows, model, DEEPER, "accuracy")]
        deeper_energy = _paired(rows, model, DEEPER, "energy_uj")
        if not deeper_acc:
            continue
        accuracy_change = mean_std(deeper_acc)
        targets.append(
            {
                "model": model,
                "same_energy_accuracy_pp": mean_std(same_acc) if same_acc else None,
                "deeper_accuracy_pp": accuracy_change,
                "deeper_energy_uj": mean_std(deeper_energy),
                "met": statistics.fmean(deeper_energy) < 0
                and accuracy_change[0] + accuracy_change[1] >= 0
                and accuracy_change[0] >= -MAX_MEAN_LOSS_PP,
            }
        )
    return {"table": table, "targets": targets}


def _pm(value: tuple[float, float] | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value[0]:+.{digits}f} ± {value[1]:.{digits}f}"


def render_report(config: Any, summary: dict[str, Any]) -> str:
    """Markdown: one row per model and method, then the paired comparison and the target."""
    lines = [
        "# Energy-aware against MAC-aware structured pruning (estimated energy)",
        "",
        f"Mean ± std over seeds {list(config.seeds)}. Both budgets use sensitivity allocation and the "
        f"shipped criterion and schedule. The MAC budget removes {config.reduction:.0%} of the MACs; the "
        f"energy budgets target the MAC run's energy, and {config.deeper:g}x of it. Energies are the "
        "estimate of `src/prunegate/core/energy.py` (this machine has no RAPL power meter).",
        "",
        *markdown_table(
            ["model", "method", "est. energy µJ", "energy ÷", "MACs", "test accuracy", "val accuracy"],
            [
                [
                    e["model"],
                    e["method"],
                    f"{e['energy_uj'][0]:.2f} ± {e['energy_uj'][1]:.2f}",
                    f"{e['energy_ratio'][0]:.1f}x",
                    f"{e['macs'][0]:,.0f}",
                    f"{e['accuracy'][0]:.4f} ± {e['accuracy'][1]:.4f}",
                    f"{e['val_accuracy'][0]:.4f} ± {e['val_accuracy'][1]:.4f}",
                ]
                for e in summary["table"]
            ],
            ["left", "left", "right", "right", "right", "right", "right"],
        ),
        "",
        "## Target: lower energy than the MAC budget at the same accuracy (paired over seeds)",
        "",
        *markdown_table(
            ["model", "same energy: Δ accuracy pp", "deeper: Δ energy µJ", "deeper: Δ accuracy pp", "met"],
            [
                [
                    t["model"],
                    _pm(t["same_energy_accuracy_pp"]),
                    _pm(t["deeper_energy_uj"]),
                    _pm(t["deeper_accuracy_pp"]),
                    "met" if t["met"] else "NOT met",
                ]
                for t in summary["targets"]
            ],
            ["left", "right", "right", "right", "left"],
        ),
    ]
    return "\n".join(lines) + "\n"
