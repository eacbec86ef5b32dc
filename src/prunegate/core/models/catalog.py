"""The zoo by name: spec kind -> (spec type, module builder), and specs to and from JSON-able dicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from torch import nn

from prunegate.core.models.cnn import CNNSpec, ConvNet
from prunegate.core.models.factory import FactorySpec, build_factory_model
from prunegate.core.models.gru import GRUClassifier, GRUSpec
from prunegate.core.models.mlp import MLPSpec, MultiLayerPerceptron
from prunegate.core.models.mobilenet import MobileNet, MobileNetSpec
from prunegate.core.models.resnet import ResNet, ResNet1DSpec, ResNetSpec

__all__ = ["ARCHITECTURES", "ModelSpec", "build_model", "input_shape_of", "spec_from_dict", "spec_to_dict"]

ModelSpec = MLPSpec | CNNSpec | ResNetSpec | ResNet1DSpec | MobileNetSpec | GRUSpec | FactorySpec

ARCHITECTURES: dict[str, tuple[type, Callable[[Any], nn.Module]]] = {
    "mlp": (MLPSpec, MultiLayerPerceptron),
    "cnn": (CNNSpec, ConvNet),
    "resnet": (ResNetSpec, ResNet),
    "resnet1d": (ResNet1DSpec, ResNet),
    "mobilenet": (MobileNetSpec, MobileNet),
    "gru": (GRUSpec, GRUClassifier),
    "factory": (FactorySpec, build_factory_model),
}


def build_model(spec: ModelSpec) -> nn.Module:
    """Instantiate the module a spec describes (weights freshly initialised from torch's global RNG)."""
    entry = ARCHITECTURES.get(getattr(spec, "kind", None))
    if entry is None or not isinstance(spec, entry[0]):
        raise TypeError(f"unknown model spec type {type(spec).__name__}")
    return entry[1](spec)


def input_shape_of(spec: ModelSpec) -> tuple[int, ...]:
    """The shape of one input row as the model's layers see it (flat models: ``(in_features,)``)."""
    return tuple(getattr(spec, "in_shape", ())) or (spec.in_features,)


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """A JSON-friendly dict (tuples become lists) that :func:`spec_from_dict` turns back into the spec."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(spec).items()}


def spec_from_dict(data: dict[str, Any]) -> ModelSpec:
    """Rebuild a spec from :func:`spec_to_dict` output; unknown kinds or keys raise ``ValueError``."""
    kind = data.get("kind")
    if kind not in ARCHITECTURES:
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {sorted(ARCHITECTURES)}")
    spec_type = ARCHITECTURES[kind][0]
    known = set(spec_type.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} for a {kind} spec; known keys: {sorted(known)}")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    return spec_type(**values)
