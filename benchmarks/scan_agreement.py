"""Is the sensitivity scan signal or noise? Two scans on disjoint validation rows, accuracy against loss.

For each model and seed (a zoo model on the harder benchmark set, trained with the dense recipe), every
prunable group is pruned alone at each scan ratio with the shipped criterion, without fine-tuning (the
scan of :func:`prunegate.core.pruning.channel_pruning.sensitivity_scan`), and each pruned copy is scored
row by row on the validation split. From those rows:

- **agreement**: the validation rows are split in two random halves; each half gives a full scan
  (predicted drop of every group x ratio cell) and the Spearman rank correlation between the two scans
  says whether a second scan would rank the cells the same way (1: identical ranking, 0: unrelated);
- **ties**: the share of cells whose drop is exactly zero on the whole split (the scan cannot tell them
  apart from each other or from not pruning);
- **spread**: the seed-to-seed spread of the scan itself, as the bootstrap standard deviation of each
  cell's drop over 200 resamples of the validation rows, relative to the largest drop of the scan
  (median over cells).

Usage: ``python -m benchmarks.scan_agreement`` (``make bench-scan``; ``--quick`` is a smoke
run). Writes ``data/08_reporting/bench_scan.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr

from benchmarks.benchmark_splits import (
    bench_arguments,
    model_and_splits,
    quiet_logging,
    train_dense,
)
from benchmarks.common import load_parameters, mean_std, write_json
from prunegate.core.pruning.channel_pruning import channel_groups, prune_channels
from prunegate.core.pruning.criteria import get_criterion
from prunegate.core.pruning.scan_measures import SCAN_MEASURES
from prunegate.reporting.markdown import markdown_table

__all__ = ["BenchConfig", "main", "scan_rows", "summarise_scan"]

logger = logging.getLogger(__name__)

_BOOTSTRAP = 200


@dataclass(frozen=True)
class BenchConfig:
    """What one benchmark run measures (from the command line)."""

    models: tuple[str, ...] = ("resnet1d", "mlp")
    seeds: tuple[int, ...] = (0, 1, 2)
    ratios: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
    dense_epochs: int = 20
    rows: int | None = None


def scan_rows(model, example, scores, groups, ratios, split, measure) -> tuple[np.ndarray, dict]:
    """The dense model's per-row scores and, per (group, ratio) cell, the pruned copy's per-row scores."""
    dense = measure.per_row(model.eval(), split).numpy()
    cells = {}
    for group in groups:
        for ratio in ratios:
            pruned = prune_channels(model, example, scores, {group.name: ratio}).module.eval()
            cells[(group.name, ratio)] = measure.per_row(pruned, split).numpy()
    return dense, cells


def _drops(dense: np.ndarray, cells: dict, rows: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Predicted drop of each cell (positive: worse than dense) on the given rows."""
    sign = 1.0 if higher_is_better else -1.0
    return np.array([sign * (dense[rows].mean() - values[rows].mean()) for values in cells.values()])


def summarise_scan(dense: np.ndarray, cells: dict, higher_is_better: bool, seed: int) -> dict[str, float]:
    """Agreement of two half-scans, the share of tied cells, and the bootstrap spread of the scan."""
    generator = np.random.default_rng(seed)
    order = generator.permutation(len(dense))
    half_a, half_b = order[: len(order) // 2], order[len(order) // 2 :]
    everything = np.arange(len(dense))
    drops = _drops(dense, cells, everything, higher_is_better)
    agreement = spearmanr(
        _drops(dense, cells, half_a, higher_is_better), _drops(dense, cells, half_b, higher_is_better)
    ).statistic
    resamples = np.stack(
        [
            _drops(dense, cells, generator.integers(0, len(dense), len(dense)), higher_is_better)
            for _ in range(_BOOTSTRAP)
        ]
    )
    scale = float(np.max(np.abs(drops))) or 1.0
    return {
        "agreement": float(agreement) if np.isfinite(agreement) else 0.0,
        "ties": float(np.mean(drops == 0.0)),
        "relative_spread": float(np.median(resamples.std(axis=0)) / scale),
        "cells": len(drops),
        "rows": len(dense),
    }


def run_seed(config: BenchConfig, name: str, seed: int, pruning: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scan measure for one model and seed."""
    train, val, _, spec = model_and_splits(name, seed, config.rows)
    model = train_dense(spec, train, val, config.dense_epochs, seed)
    example = torch.zeros(1, spec.in_features)
    criterion = get_criterion(pruning["criterion"])
    scores = criterion.weight_scores(model, (train[0][:512], train[1][:512]))
    groups = channel_groups(model, example, scores)
    rows = []
    for measure in SCAN_MEASURES.values():
        dense, cells = scan_rows(model, example, scores, groups, config.ratios, val, measure)
        summary = summarise_scan(dense, cells, measure.higher_is_better, seed)
        rows.append({"model": name, "seed": seed, "measure": measure.name, **summary})
        logger.info("%s seed %d %s: %s", name, seed, measure.name, summary)
    return rows


def render_report(config: BenchConfig, rows: list[dict[str, Any]]) -> str:
    """Markdown: per model and measure, agreement, ties and spread as mean ± std over seeds."""
    lines = [
        "# Sensitivity scan: two scans on disjoint validation halves, accuracy against loss",
        "",
        f"Seeds {list(config.seeds)}, ratios {list(config.ratios)}, shipped criterion; each group pruned "
        "alone without fine-tuning. Agreement: Spearman correlation of the two half-scans' cell rankings. "
        "Ties: cells with exactly no change. Spread: bootstrap std of a cell's drop / the scan's largest "
        "drop.",
        "",
    ]
    cells = []
    for model in dict.fromkeys(r["model"] for r in rows):
        for measure in SCAN_MEASURES:
            members = [r for r in rows if r["model"] == model and r["measure"] == measure]
            if not members:
                continue
            agreement, ties, spread = (
                mean_std([r[k] for r in members]) for k in ("agreement", "ties", "relative_spread")
            )
            cells.append(
                [
                    model,
                    measure,
                    members[0]["rows"],
                    members[0]["cells"],
                    f"{agreement[0]:.2f} ± {agreement[1]:.2f}",
                    f"{ties[0]:.2f} ± {ties[1]:.2f}",
                    f"{spread[0]:.3f} ± {spread[1]:.3f}",
                ]
            )
    lines += markdown_table(
        ["model", "measure", "val rows", "cells", "agreement", "ties", "relative spread"],
        cells,
        ["left", "left", "right", "right", "right", "right", "right"],
    )
    return "\n".join(lines) + "\n"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_arguments(__doc__.splitlines()[0], BenchConfig.models, BenchConfig.dense_epochs)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    quiet_logging()
    args = _arguments(argv)
    config = BenchConfig(models=tuple(args.models), seeds=tuple(args.seeds), dense_epochs=args.dense_epochs)
    if args.quick:
        config = replace(config, seeds=config.seeds[:1], dense_epochs=1, rows=600)
    torch.set_num_threads(1)
    pruning = load_parameters(Path.cwd(), "pruning")
    rows = [
        row
        for name in config.models
        for seed in config.seeds
        for row in run_seed(config, name, seed, pruning)
    ]
    report = render_report(config, rows)
    write_json({"config": asdict(config), "rows": rows}, args.out / "bench_scan.json")
    (args.out / "bench_scan.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
