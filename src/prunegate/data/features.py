"""Turn validated table rows into model tensors, with a label encoding saved alongside the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

__all__ = ["LabelEncoding", "PreparedSplits", "feature_columns_of", "prepare_splits", "table_to_tensors"]


@dataclass(frozen=True)
class LabelEncoding:
    """Original label values (ints or strings) in class-index order."""

    classes: tuple[Any, ...]

    @classmethod
    def from_labels(cls, *label_series: pd.Series) -> LabelEncoding:
        values = pd.concat(label_series, ignore_index=True).dropna().unique().tolist()
        return cls(classes=tuple(sorted(_plain(value) for value in values)))

    @property
    def class_names(self) -> list[str]:
        return [str(value) for value in self.classes]

    def encode(self, labels: pd.Series) -> torch.Tensor:
        index = {value: position for position, value in enumerate(self.classes)}
        unknown = sorted({str(value) for value in labels if _plain(value) not in index})
        if unknown:
            raise ValueError(f"labels {unknown[:5]} are not among the known classes {self.class_names}")
        return torch.tensor([index[_plain(value)] for value in labels], dtype=torch.long)


def _plain(value: Any) -> Any:
    """numpy scalars -> python scalars, so labels compare and serialise the same way everywhere."""
    return value.item() if isinstance(value, np.generic) else value


def feature_columns_of(
    frame: pd.DataFrame, target_column: str, feature_columns: list[str] | None
) -> list[str]:
    """The configured feature columns, or every column but the target (in table order)."""
    if feature_columns:
        return list(feature_columns)
    return [column for column in frame.columns if column != target_column]


def table_to_tensors(
    frame: pd.DataFrame, target_column: str, feature_columns: list[str], encoding: LabelEncoding
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features as float32 (columns in ``feature_columns`` order, whatever the table order) and labels."""
    features = torch.from_numpy(frame[feature_columns].to_numpy(dtype=np.float32, copy=True))
    return features, encoding.encode(frame[target_column])


@dataclass(frozen=True)
class PreparedSplits:
    """Train/val/test tensors with the label encoding and feature order they were built with."""

    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    encoding: LabelEncoding
    feature_names: list[str]


def prepare_splits(
    train: pd.DataFrame,
    val: pd.DataFrame,
    test: pd.DataFrame,
    target_column: str,
    feature_columns: list[str] | None,
) -> PreparedSplits:
    """Tensors of the three splits; one label encoding (sorted original labels) shared by all."""
    features = feature_columns_of(train, target_column, feature_columns)
    encoding = LabelEncoding.from_labels(train[target_column], val[target_column], test[target_column])
    return PreparedSplits(
        train=table_to_tensors(train, target_column, features, encoding),
        val=table_to_tensors(val, target_column, features, encoding),
        test=table_to_tensors(test, target_column, features, encoding),
        encoding=encoding,
        feature_names=features,
    )
