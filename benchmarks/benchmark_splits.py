"""The harder built-in sets split as every benchmark splits them: 70/15/15, stratified, seeded."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunegate.core.models import ModelSpec, build_model
from prunegate.core.models.catalog import ARCHITECTURES
from prunegate.core.training import TrainConfig, fit_standardization, seed_everything, train_model
from prunegate.data import benchmark_sets
from prunegate.data.splitting import split_table

__all__ = [
    "BENCHMARK_MODELS",
    "BenchmarkSplits",
    "Split",
    "bench_arguments",
    "model_and_splits",
    "quiet_logging",
    "split_benchmark_set",
    "train_dense",
]

Split = tuple[torch.Tensor, torch.Tensor]
BenchmarkSplits = tuple[Split, Split, Split, int, int]
# name -> (dataset, architecture, one row's shape (-1: the feature count; None: flat), architecture options)
BENCHMARK_MODELS: dict[str, tuple[str, str, tuple[int, ...] | None, dict[str, Any]]] = {
    "resnet1d": (
        "signal_templates",
        "resnet1d",
        (1, -1),
        {"widths": (32, 64, 128), "blocks": (1, 1, 1), "kernel_size": 5},
    ),
    "resnet": ("digits_affine_32", "resnet", (1, 32, 32), {"widths": (16, 32, 64), "blocks": (1, 1, 1)}),
    "mlp": ("signal_templates", "mlp", None, {"hidden": (512, 256)}),
}


def split_benchmark_set(dataset: str, seed: int, rows: int | None = None) -> BenchmarkSplits:
    """Flat-row tensors of ``dataset``'s train / val / test splits, its feature count and class count.

    Args:
        dataset: a set of :mod:`prunegate.data.benchmark_sets` (e.g. ``signal_templates``).
        seed: the split's (and the subsample's) seed.
        rows: a random subsample of this many rows (smoke runs), or every row.
    """
    frame = getattr(benchmark_sets, dataset)()
    if rows:
        frame = frame.sample(n=rows, random_state=seed)
    features = [column for column in frame.columns if column != "target"]
    result = split_table(
        frame,
        target_column="target",
        feature_columns=features,
        val_fraction=0.15,
        test_fraction=0.15,
        seed=seed,
        stratify=True,
        on_leakage="drop",
    )
    train, val, test = (
        (
            torch.tensor(table[features].to_numpy(), dtype=torch.float32),
            torch.tensor(table["target"].to_numpy(), dtype=torch.long),
        )
        for table in (result.train, result.val, result.test)
    )
    return train, val, test, len(features), int(frame["target"].nunique())


def model_and_splits(name: str, seed: int, rows: int | None = None) -> tuple[Split, Split, Split, ModelSpec]:
    """The splits of ``name``'s set and the spec of its model (:data:`BENCHMARK_MODELS`)."""
    dataset, kind, shape, options = BENCHMARK_MODELS[name]
    train, val, test, features, classes = split_benchmark_set(dataset, seed, rows)
    if shape is None:
        spec = ARCHITECTURES[kind][0](in_features=features, num_classes=classes, **options)
    else:
        in_shape = tuple(features if size == -1 else size for size in shape)
        spec = ARCHITECTURES[kind][0](in_shape=in_shape, num_classes=classes, **options)
    return train, val, test, spec


def train_dense(spec: ModelSpec, train: Split, val: Split, epochs: int, seed: int) -> nn.Module:
    """The dense model of ``spec`` trained with the default recipe (seeded, standardised on train)."""
    seed_everything(seed)
    model = build_model(spec)
    fit_standardization(model, train[0])
    train_model(model, train, val, TrainConfig(epochs=epochs, seed=seed, show_progress=False))
    return model


def bench_arguments(
    description: str, default_models: tuple[str, ...], dense_epochs: int
) -> argparse.ArgumentParser:
    """The options every zoo benchmark takes: models, seeds, dense epochs, ``--quick`` and the output."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models", nargs="+", choices=sorted(BENCHMARK_MODELS), default=list(default_models))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--dense-epochs", type=int, default=dense_epochs)
    parser.add_argument("--quick", action="store_true", help="smoke run: 600 rows, 1 seed, 1 epoch")
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting"))
    return parser


def quiet_logging() -> None:
    """Benchmark progress on stdout; the library's own INFO lines (every epoch, every step) left out."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("prunegate.core", "prunegate.data", "prunegate.serving"):
        logging.getLogger(name).setLevel(logging.WARNING)
