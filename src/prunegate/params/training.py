"""Parameters of the training pipeline (``conf/base/parameters_training.yml``)."""

from __future__ import annotations

from math import prod
from typing import Literal

from pydantic import Field, PositiveInt

from prunegate.core.models import CNNSpec, MLPSpec, ModelSpec
from prunegate.core.training import DEFAULT_MIN_STD_RATIO, TrainConfig
from prunegate.params.base import ConfigError, StrictParams

__all__ = ["CNNParams", "MLPParams", "RegularizationParams", "TrainingParams"]


class MLPParams(StrictParams):
    hidden: list[PositiveInt] = Field(min_length=1)
    dropout: float = Field(ge=0, lt=1)


class CNNParams(StrictParams):
    channels: list[PositiveInt] = Field(min_length=1)
    hidden: list[PositiveInt]
    dropout: float = Field(ge=0, lt=1)


class RegularizationParams(StrictParams):
    """Sparsity regularisation during training, so pruning afterwards loses less."""

    kind: Literal["none", "l1", "group_lasso"]
    strength: float = Field(ge=0)


class TrainingParams(StrictParams):
    """Architecture and optimisation tunables of the dense (teacher) model."""

    architecture: Literal["mlp", "cnn"]
    mlp: MLPParams
    cnn: CNNParams
    epochs: PositiveInt
    batch_size: PositiveInt
    learning_rate: float = Field(gt=0, lt=1)
    weight_decay: float = Field(ge=0)
    warmup_epochs: int = Field(ge=0)
    patience: PositiveInt
    min_delta: float = Field(ge=0)
    regularization: RegularizationParams
    min_std_ratio: float = Field(default=DEFAULT_MIN_STD_RATIO, ge=0, le=1)
    seed: int = Field(ge=0)
    show_progress: bool = True

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            warmup_epochs=self.warmup_epochs,
            patience=self.patience,
            min_delta=self.min_delta,
            seed=self.seed,
            show_progress=self.show_progress,
        )

    def model_spec(self, in_features: int, num_classes: int, image_shape: list[int] | None) -> ModelSpec:
        """The architecture spec for data with ``in_features`` columns and ``num_classes`` labels."""
        if self.architecture == "mlp":
            return MLPSpec(
                in_features=in_features,
                num_classes=num_classes,
                hidden=tuple(self.mlp.hidden),
                dropout=self.mlp.dropout,
            )
        if image_shape is None:
            raise ConfigError("training.architecture: 'cnn' needs ingestion.image_shape, e.g. [1, 8, 8]")
        if prod(image_shape) != in_features:
            raise ConfigError(
                f"ingestion.image_shape {image_shape} holds {prod(image_shape)} values, "
                f"but the data has {in_features} feature columns"
            )
        return CNNSpec(
            in_shape=(image_shape[0], image_shape[1], image_shape[2]),
            num_classes=num_classes,
            channels=tuple(self.cnn.channels),
            hidden=tuple(self.cnn.hidden),
            dropout=self.cnn.dropout,
        )
