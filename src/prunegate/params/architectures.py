"""The zoo's architectures as training parameters, and the spec each one builds for the data at hand.

``training.architecture`` picks one; its section (``training.<architecture>``) sets its widths. The input
shape comes from ``ingestion.input_shape``: ``[C, H, W]`` for ``cnn``, ``resnet`` and ``mobilenet``,
``[C, L]`` for ``resnet1d`` and ``gru``, anything (or null) for ``mlp`` and the user's ``factory``.
"""

from __future__ import annotations

from math import prod
from typing import Any

from pydantic import Field, PositiveInt, field_validator

from prunegate.core.models import (
    CNNSpec,
    FactorySpec,
    GRUSpec,
    MLPSpec,
    MobileNetSpec,
    ModelSpec,
    ResNet1DSpec,
    ResNetSpec,
)
from prunegate.params.base import ConfigError, StrictParams

__all__ = [
    "ARCHITECTURE_NAMES",
    "CNNParams",
    "FactoryParams",
    "GRUParams",
    "MLPParams",
    "MobileNetParams",
    "ResNet1DParams",
    "ResNetParams",
    "architecture_spec",
]

_Dropout = Field(default=0.0, ge=0, lt=1)


class MLPParams(StrictParams):
    hidden: list[PositiveInt] = Field(min_length=1)
    dropout: float = _Dropout


class CNNParams(StrictParams):
    channels: list[PositiveInt] = Field(min_length=1)
    hidden: list[PositiveInt]
    dropout: float = _Dropout


class ResNetParams(StrictParams):
    widths: list[PositiveInt] = Field(default=[16, 32, 64], min_length=1)
    blocks: list[PositiveInt] = Field(default=[2, 2, 2], min_length=1)
    dropout: float = _Dropout


class ResNet1DParams(StrictParams):
    widths: list[PositiveInt] = Field(default=[32, 64, 128], min_length=1)
    blocks: list[PositiveInt] = Field(default=[1, 1, 1], min_length=1)
    kernel_size: PositiveInt = 5
    dropout: float = _Dropout


class MobileNetParams(StrictParams):
    stem_width: PositiveInt = 16
    widths: list[PositiveInt] = Field(default=[16, 24, 32], min_length=1)
    blocks: list[PositiveInt] = Field(default=[1, 2, 2], min_length=1)
    expansion: PositiveInt = 4
    dropout: float = _Dropout


class GRUParams(StrictParams):
    hidden_size: PositiveInt = 64
    num_layers: PositiveInt = 1
    bidirectional: bool = False
    head: list[PositiveInt] = Field(default=[64])
    dropout: float = _Dropout


class FactoryParams(StrictParams):
    """The user's own model: ``factory`` is ``"package.module:callable"``, called with ``kwargs``."""

    factory: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("factory")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or value.startswith(":") or value.endswith(":")):
            raise ValueError(f"must be 'package.module:callable', got {value!r}")
        return value


ARCHITECTURE_NAMES = ("mlp", "cnn", "resnet", "resnet1d", "mobilenet", "gru", "factory")
_DIMS = {"cnn": 3, "resnet": 3, "mobilenet": 3, "resnet1d": 2, "gru": 2}
_MEANING = {3: "[channels, height, width]", 2: "[channels, length]"}


def _shape(architecture: str, input_shape: list[int] | None, in_features: int) -> tuple[int, ...]:
    if input_shape is not None and prod(input_shape) != in_features:
        raise ConfigError(
            f"ingestion.input_shape {input_shape} holds {prod(input_shape)} values, "
            f"but the data has {in_features} feature columns"
        )
    dims = _DIMS.get(architecture)
    if dims is None:
        return tuple(input_shape or ())
    if input_shape is None or len(input_shape) != dims:
        raise ConfigError(
            f"training.architecture: {architecture!r} needs ingestion.input_shape {_MEANING[dims]}, "
            f"got {input_shape}"
        )
    return tuple(input_shape)


def architecture_spec(
    architecture: str,
    section: StrictParams,
    in_features: int,
    num_classes: int,
    input_shape: list[int] | None,
) -> ModelSpec:
    """The spec of ``architecture`` with the widths of its parameter ``section``, for this data."""
    shape = _shape(architecture, input_shape, in_features)
    values = {
        key: tuple(value) if isinstance(value, list) else value for key, value in section.model_dump().items()
    }
    if architecture == "mlp":
        return MLPSpec(in_features=in_features, num_classes=num_classes, **values)
    if architecture == "factory":
        if not values["factory"]:
            raise ConfigError(
                "training.model.factory: set 'package.module:callable' for architecture: factory"
            )
        return FactorySpec(
            values["factory"],
            in_features=in_features,
            num_classes=num_classes,
            in_shape=shape,
            kwargs=values["kwargs"],
        )
    spec_type = {"cnn": CNNSpec, "resnet": ResNetSpec, "mobilenet": MobileNetSpec}.get(architecture)
    spec_type = spec_type or {"resnet1d": ResNet1DSpec, "gru": GRUSpec}[architecture]
    try:
        return spec_type(in_shape=shape, num_classes=num_classes, **values)
    except ValueError as error:
        raise ConfigError(f"training.{architecture}: {error}") from None
