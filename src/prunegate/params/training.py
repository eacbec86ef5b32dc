"""Parameters of the training pipeline (``conf/base/parameters_training.yml``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt

from prunegate.core.models import ModelSpec
from prunegate.core.training import DEFAULT_MIN_STD_RATIO, TrainConfig
from prunegate.params.architectures import (
    CNNParams,
    FactoryParams,
    GRUParams,
    MLPParams,
    MobileNetParams,
    ResNet1DParams,
    ResNetParams,
    architecture_spec,
)
from prunegate.params.base import StrictParams
from prunegate.params.train_loop import TrainLoopParams, train_config_from

__all__ = ["CNNParams", "MLPParams", "RegularizationParams", "TrainingParams"]


class RegularizationParams(StrictParams):
    """Sparsity regularisation during training, so pruning afterwards loses less."""

    kind: Literal["none", "l1", "group_lasso"]
    strength: float = Field(ge=0)


class TrainingParams(TrainLoopParams):
    """Architecture and optimisation tunables of the dense (teacher) model."""

    section: ClassVar[str] = "training"

    architecture: Literal["mlp", "cnn", "resnet", "resnet1d", "mobilenet", "gru", "factory"]
    mlp: MLPParams = MLPParams(hidden=[256, 128])
    cnn: CNNParams = CNNParams(channels=[16, 32], hidden=[64])
    resnet: ResNetParams = ResNetParams()
    resnet1d: ResNet1DParams = ResNet1DParams()
    mobilenet: MobileNetParams = MobileNetParams()
    gru: GRUParams = GRUParams()
    model: FactoryParams = FactoryParams()  # architecture: factory, the user's own nn.Module
    epochs: PositiveInt
    warmup_epochs: int = Field(ge=0)
    min_delta: float = Field(ge=0)
    regularization: RegularizationParams
    min_std_ratio: float = Field(default=DEFAULT_MIN_STD_RATIO, ge=0, le=1)
    seed: int = Field(ge=0)
    show_progress: bool = True

    def train_config(self) -> TrainConfig:
        return train_config_from(self)

    def model_spec(self, in_features: int, num_classes: int, input_shape: list[int] | None) -> ModelSpec:
        """The architecture spec for data with ``in_features`` columns and ``num_classes`` labels."""
        section = self.model if self.architecture == "factory" else getattr(self, self.architecture)
        return architecture_spec(self.architecture, section, in_features, num_classes, input_shape)
