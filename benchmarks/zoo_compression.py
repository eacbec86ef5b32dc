"""Structured pruning of a zoo model on a harder built-in set, against Torch-Pruning's default and scratch.

Digits cannot tell pruning methods apart (a small dense net trained from scratch ties them all), so this
benchmark uses a harder set from :mod:`prunegate.data.benchmark_sets` and a zoo convolutional model. For
each seed (Blalock et al., 2020, "What is the State of Neural Network Pruning?": same split, same
fine-tuning budget for every method, mean ± std over seeds) it trains the dense model, then at each MAC
reduction measures on the test split:

- every ``criterion x allocation`` of prunegate's structured recipe (iterative schedule, the shipped
  number of steps and fine-tuning budget from ``conf/base/parameters_pruning.yml``);
- Torch-Pruning's default recipe: L2 magnitude, the same ratio for every group, one shot, then the same
  fine-tuning budget (Fang et al., 2023, "DepGraph");
- the best recipe's pruned widths trained from scratch with the dense model's recipe (Liu et al., 2019,
  "Rethinking the Value of Network Pruning"). The best recipe is chosen on *validation* accuracy, so the
  test split only scores it.

Usage: ``python -m benchmarks.zoo_compression`` (``make bench-zoo``; ``--quick`` is a smoke run).
Needs no ``make run``: the data are generated. Writes ``data/08_reporting/bench_zoo_compression.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from benchmarks.benchmark_splits import Split, split_benchmark_set
from benchmarks.common import load_parameters, write_json
from benchmarks.recipes import shipped_recipe
from benchmarks.zoo_compression_report import FROM_SCRATCH, TP_DEFAULT, render_report, summarise
from prunegate.core.models import ModelSpec, build_model, input_shape_of
from prunegate.core.models.catalog import ARCHITECTURES
from prunegate.core.profiling import count_macs
from prunegate.core.pruning.history import fresh_pruned_model
from prunegate.core.pruning.structured_recipe import StructuredRecipe, run_structured_pruning
from prunegate.core.training import (
    TrainConfig,
    copy_standardization,
    fit_standardization,
    seed_everything,
    split_accuracy,
    train_model,
)

__all__ = ["BenchConfig", "main", "run_seed"]

logger = logging.getLogger(__name__)

_SETS = {
    "signal_templates": ("resnet1d", {"widths": (32, 64, 128), "blocks": (1, 1, 1), "kernel_size": 5}),
    "digits_affine_32": ("resnet", {"widths": (16, 32, 64), "blocks": (1, 1, 1)}),
}


@dataclass(frozen=True)
class BenchConfig:
    """What one benchmark run measures (from the command line)."""

    dataset: str = "signal_templates"
    seeds: tuple[int, ...] = (0, 1, 2)
    reductions: tuple[float, ...] = (0.75, 0.9)
    criteria: tuple[str, ...] = ("magnitude_l2", "taylor", "lrp")
    allocations: tuple[str, ...] = ("uniform", "global", "sensitivity")
    dense_epochs: int = 30
    finetune_epochs: int = 15
    rows: int | None = None  # subsample of the set (smoke runs)


def _splits(config: BenchConfig, seed: int) -> tuple[Split, Split, Split, ModelSpec]:
    train, val, test, features, classes = split_benchmark_set(config.dataset, seed, config.rows)
    kind, options = _SETS[config.dataset]
    shape = (1, features) if kind == "resnet1d" else (1, 32, 32)
    spec = ARCHITECTURES[kind][0](in_shape=shape, num_classes=classes, **options)
    return train, val, test, spec


def _recipe(
    pruning: dict[str, Any],
    criterion: str,
    allocation: str,
    reduction: float,
    epochs: int,
    seed: int,
    *,
    schedule: str = "iterative",
) -> StructuredRecipe:
    return shipped_recipe(
        pruning,
        reduction=reduction,
        finetune_epochs=epochs,
        seed=seed,
        criterion=criterion,
        allocation=allocation,
        schedule=schedule,
    )


def run_seed(config: BenchConfig, seed: int, pruning: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of one seed: the dense model, each method at each reduction, and scratch."""
    train, val, test, spec = _splits(config, seed)
    example_shape = input_shape_of(spec)
    dense_config = TrainConfig(epochs=config.dense_epochs, seed=seed, show_progress=False)
    seed_everything(seed)
    dense = build_model(spec)
    fit_standardization(dense, train[0])
    started = time.perf_counter()
    train_model(dense, train, val, dense_config, description="dense")
    dense_macs = count_macs(dense, (spec.in_features,))
    row = {"seed": seed, "dataset": config.dataset, "architecture": spec.kind, "input_shape": example_shape}
    rows = [
        {
            **row,
            "method": "dense",
            "reduction": 0.0,
            "macs": dense_macs,
            "val_accuracy": split_accuracy(dense, val),
            "accuracy": split_accuracy(dense, test),
            "seconds": time.perf_counter() - started,
        }
    ]
    calibration = (train[0][:512], train[1][:512])
    for reduction in config.reductions:
        methods = [(c, a, "iterative") for c in config.criteria for a in config.allocations]
        methods.append(("magnitude_l2", "uniform", "one_shot"))
        outcomes = {}
        for criterion, allocation, schedule in methods:
            name = TP_DEFAULT if schedule == "one_shot" else f"{criterion} {allocation}"
            recipe = _recipe(
                pruning, criterion, allocation, reduction, config.finetune_epochs, seed, schedule=schedule
            )
            started = time.perf_counter()
            outcome = run_structured_pruning(dense, spec, train, val, recipe, calibration=calibration)
            outcomes[name] = outcome
            rows.append(
                {
                    **row,
                    "method": name,
                    "criterion": criterion,
                    "allocation": allocation,
                    "schedule": schedule,
                    "reduction": reduction,
                    "macs": count_macs(outcome.module, (spec.in_features,)),
                    "val_accuracy": split_accuracy(outcome.module, val),
                    "accuracy": split_accuracy(outcome.module, test),
                    "seconds": time.perf_counter() - started,
                }
            )
            logger.info("seed %d, %.2f, %s: %s", seed, reduction, name, rows[-1]["accuracy"])
        ours = [r for r in rows if r["reduction"] == reduction and r["method"] not in ("dense", TP_DEFAULT)]
        best = max(ours, key=lambda r: r["val_accuracy"])
        rows.append(
            _from_scratch(
                spec,
                outcomes[best["method"]].history,
                dense,
                (train, val, test),
                dense_config,
                row,
                reduction,
                best["method"],
            )
        )
    return rows


def _from_scratch(spec, history, dense, splits, dense_config, row, reduction, widths_of) -> dict[str, Any]:
    train, val, test = splits
    seed_everything(dense_config.seed + 1000)
    module = fresh_pruned_model(build_model(spec), spec.in_features, history)
    copy_standardization(dense, module)
    started = time.perf_counter()
    train_model(module, train, val, replace(dense_config), description="scratch")
    return {
        **row,
        "method": FROM_SCRATCH,
        "widths_of": widths_of,
        "reduction": reduction,
        "macs": count_macs(module, (spec.in_features,)),
        "val_accuracy": split_accuracy(module, val),
        "accuracy": split_accuracy(module, test),
        "seconds": time.perf_counter() - started,
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(_SETS), default="signal_templates")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--reductions", type=float, nargs="+", default=[0.75, 0.9])
    parser.add_argument("--criteria", nargs="+", default=list(BenchConfig.criteria))
    parser.add_argument("--allocations", nargs="+", default=list(BenchConfig.allocations))
    parser.add_argument("--dense-epochs", type=int, default=BenchConfig.dense_epochs)
    parser.add_argument("--finetune-epochs", type=int, default=BenchConfig.finetune_epochs)
    parser.add_argument("--quick", action="store_true", help="smoke run: 600 rows, 1 seed, 2 epochs")
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("prunegate.core", "prunegate.data"):
        logging.getLogger(name).setLevel(logging.WARNING)
    args = _arguments(argv)
    config = BenchConfig(
        dataset=args.dataset,
        seeds=tuple(args.seeds),
        reductions=tuple(args.reductions),
        criteria=tuple(args.criteria),
        allocations=tuple(args.allocations),
        dense_epochs=args.dense_epochs,
        finetune_epochs=args.finetune_epochs,
    )
    if args.quick:
        config = replace(config, seeds=config.seeds[:1], dense_epochs=2, finetune_epochs=2, rows=600)
    torch.set_num_threads(1)
    pruning = load_parameters(Path.cwd(), "pruning")
    rows = [row for seed in config.seeds for row in run_seed(config, seed, pruning)]
    summary = summarise(rows)
    report = render_report(config, summary)
    write_json(
        {"config": asdict(config), "rows": rows, "summary": summary}, args.out / "bench_zoo_compression.json"
    )
    (args.out / "bench_zoo_compression.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
