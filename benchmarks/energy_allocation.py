"""Energy-aware against MAC-aware allocation: estimated joules per inference at the same accuracy.

Yang et al., 2017 ("Designing Energy-Efficient Convolutional Neural Networks Using Energy-Aware
Pruning") prune where the energy is rather than where the MACs are. Here both budgets use the same
cost-aware allocator (``allocation: sensitivity``: per-group ratios chosen for the least predicted loss
per unit of cost saved) and the shipped criterion, schedule and fine-tuning; only the cost differs:

1. ``macs``: 10x fewer MACs (``--reduction``); its estimated energy ``E_macs`` and accuracy are measured;
2. ``energy (same energy)``: an energy budget at exactly ``E_macs``: at the same energy, which is more
   accurate?
3. ``energy (deeper)``: an energy budget at ``--deeper`` x ``E_macs``: how much lower can energy go for
   the same accuracy?

Per seed on the harder benchmark set (a zoo model), mean ± std over seeds; energies are estimates
(:mod:`prunegate.core.energy`), since this machine has no power meter.

Usage: ``python -m benchmarks.energy_allocation`` (``make bench-energy``; ``--quick`` is a
smoke run). Writes ``data/08_reporting/bench_energy.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from benchmarks.benchmark_splits import (
    BENCHMARK_MODELS,
    bench_arguments,
    model_and_splits,
    quiet_logging,
    train_dense,
)
from benchmarks.common import load_parameters, write_json
from benchmarks.energy_allocation_report import DEEPER, MACS, SAME_ENERGY, render_report, summarise
from benchmarks.recipes import shipped_recipe
from prunegate.core.energy import estimate_energy
from prunegate.core.profiling import count_macs
from prunegate.core.pruning.structured_recipe import run_structured_pruning
from prunegate.core.training import (
    split_accuracy,
)

__all__ = ["BenchConfig", "main", "run_seed"]

logger = logging.getLogger(__name__)

_MICRO = 1e6


@dataclass(frozen=True)
class BenchConfig:
    """What one benchmark run measures (from the command line)."""

    models: tuple[str, ...] = ("resnet1d", "mlp")
    seeds: tuple[int, ...] = (0, 1, 2)
    reduction: float = 0.9
    deeper: float = 0.7
    dense_epochs: int = 20
    finetune_epochs: int = 10
    rows: int | None = None


def run_seed(config: BenchConfig, name: str, seed: int, pruning: dict[str, Any]) -> list[dict[str, Any]]:
    """Dense, MAC-budget, and the two energy-budget runs of one model and seed."""
    train, val, test, spec = model_and_splits(name, seed, config.rows)
    dense = train_dense(spec, train, val, config.dense_epochs, seed)
    shape = (spec.in_features,)
    dense_energy = estimate_energy(dense, shape).total_joules
    calibration = (train[0][:512], train[1][:512])
    base = {"model": name, "dataset": BENCHMARK_MODELS[name][0], "seed": seed, "test_rows": len(test[1])}

    def row(method: str, module: torch.nn.Module, budget_reduction: float) -> dict[str, Any]:
        energy = estimate_energy(module, shape)
        return {
            **base,
            "method": method,
            "budget_reduction": budget_reduction,
            "macs": count_macs(module, shape),
            "energy_uj": energy.total_joules * _MICRO,
            "energy_ratio": dense_energy / energy.total_joules,
            "accuracy": split_accuracy(module, test),
            "val_accuracy": split_accuracy(module, val),
        }

    def prune(budget: str, reduction: float) -> torch.nn.Module:
        recipe = shipped_recipe(
            pruning,
            reduction=reduction,
            finetune_epochs=config.finetune_epochs,
            seed=seed,
            budget=budget,
            allocation="sensitivity",
        )
        return run_structured_pruning(dense, spec, train, val, recipe, calibration=calibration).module

    rows = [row("dense", dense, 0.0), row(MACS, prune("macs", config.reduction), config.reduction)]
    energy_macs = rows[-1]["energy_uj"] / _MICRO
    for method, target in ((SAME_ENERGY, energy_macs), (DEEPER, config.deeper * energy_macs)):
        reduction = 1.0 - target / dense_energy
        rows.append(row(method, prune("energy", reduction), reduction))
    for entry in rows:
        logger.info(
            "%s seed %d %s: %.2f uJ (%.1fx less), accuracy %.4f",
            name,
            seed,
            entry["method"],
            entry["energy_uj"],
            entry["energy_ratio"],
            entry["accuracy"],
        )
    return rows


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_arguments(__doc__.splitlines()[0], BenchConfig.models, BenchConfig.dense_epochs)
    parser.add_argument("--reduction", type=float, default=BenchConfig.reduction)
    parser.add_argument("--deeper", type=float, default=BenchConfig.deeper)
    parser.add_argument("--finetune-epochs", type=int, default=BenchConfig.finetune_epochs)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    quiet_logging()
    args = _arguments(argv)
    config = BenchConfig(
        models=tuple(args.models),
        seeds=tuple(args.seeds),
        reduction=args.reduction,
        deeper=args.deeper,
        dense_epochs=args.dense_epochs,
        finetune_epochs=args.finetune_epochs,
    )
    if args.quick:
        config = replace(config, seeds=config.seeds[:1], dense_epochs=1, finetune_epochs=1, rows=600)
    torch.set_num_threads(1)
    pruning = load_parameters(Path.cwd(), "pruning")
    rows = [
        row
        for name in config.models
        for seed in config.seeds
        for row in run_seed(config, name, seed, pruning)
    ]
    summary = summarise(rows)
    report = render_report(config, summary)
    write_json({"config": asdict(config), "rows": rows, "summary": summary}, args.out / "bench_energy.json")
    (args.out / "bench_energy.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
