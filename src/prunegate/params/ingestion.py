"""Parameters of the ingestion pipeline (``conf/base/parameters_ingestion.yml``)."""

from __future__ import annotations

from math import prod
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from prunegate.params.base import StrictParams

__all__ = ["IngestionParams", "SplitFractions"]


class SplitFractions(StrictParams):
    """Fractions of rows per split; they must sum to 1."""

    train: float = Field(gt=0, lt=1)
    val: float = Field(gt=0, lt=1)
    test: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> SplitFractions:
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"train + val + test must be 1, got {total:g}")
        return self


class IngestionParams(StrictParams):
    """Which columns are the target and the features, how the rows are split, and the leakage policy."""

    section: ClassVar[str] = "ingestion"

    target_column: str = Field(min_length=1)
    feature_columns: list[str] | None = None
    # [channels, height, width] for images, [channels, length] for signals / sequences, null for flat rows
    input_shape: list[PositiveInt] | None = Field(default=None, min_length=2, max_length=3)
    split: SplitFractions
    seed: int = Field(ge=0)
    stratify: bool = True
    on_leakage: Literal["drop", "fail"] = "drop"

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "image_shape" in data:
            raise ValueError("image_shape was renamed input_shape ([C, H, W] images, [C, L] signals)")
        return data

    @model_validator(mode="after")
    def _consistent_columns(self) -> IngestionParams:
        if self.feature_columns is not None:
            if not self.feature_columns:
                raise ValueError("feature_columns must list at least one column, or be null for all")
            if self.target_column in self.feature_columns:
                raise ValueError(f"target_column {self.target_column!r} is also listed in feature_columns")
            if len(set(self.feature_columns)) != len(self.feature_columns):
                raise ValueError("feature_columns lists a column twice")
            if self.input_shape is not None and prod(self.input_shape) != len(self.feature_columns):
                raise ValueError(
                    f"input_shape {list(self.input_shape)} holds {prod(self.input_shape)} values but "
                    f"{len(self.feature_columns)} feature columns are listed"
                )
        return self
