"""The harder built-in sets split as every benchmark splits them: 70/15/15, stratified, seeded."""

from __future__ import annotations

import torch

from prunegate.data import benchmark_sets
from prunegate.data.splitting import split_table

__all__ = ["BenchmarkSplits", "Split", "split_benchmark_set"]

Split = tuple[torch.Tensor, torch.Tensor]
BenchmarkSplits = tuple[Split, Split, Split, int, int]


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
