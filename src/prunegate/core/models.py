"""Model architectures built from typed, JSON-serialisable specs.

A spec is the whole architecture: widths, input shape and class count. Structured pruning produces a new
spec with smaller widths, so every model (dense, pruned, student) saves as spec + state dict and loads
without unpickling code.

Every model standardises its input with fixed buffers (``input_mean``/``input_std``, set from the
training split), so a served model takes raw feature values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

__all__ = [
    "CNNSpec",
    "ConvNet",
    "MLPSpec",
    "ModelSpec",
    "MultiLayerPerceptron",
    "build_model",
    "spec_from_dict",
    "spec_to_dict",
]


@dataclass(frozen=True)
class MLPSpec:
    """A multilayer perceptron: ``in_features -> hidden[0] -> ... -> num_classes`` with ReLU."""

    in_features: int
    num_classes: int
    hidden: tuple[int, ...] = (256, 128)
    dropout: float = 0.0
    kind: str = "mlp"

    def __post_init__(self) -> None:
        _check_positive("in_features", self.in_features)
        _check_positive("num_classes", self.num_classes)
        for index, width in enumerate(self.hidden):
            _check_positive(f"hidden[{index}]", width)
        _check_dropout(self.dropout)


@dataclass(frozen=True)
class CNNSpec:
    """A small CNN for image-shaped features.

    ``channels`` are 3x3 same-padding conv layers (ReLU); a 2x2 max-pool follows the last conv when
    ``pool`` is true; then fully connected ``hidden`` layers and the classifier.
    """

    in_shape: tuple[int, int, int]
    num_classes: int
    channels: tuple[int, ...] = (16, 32)
    hidden: tuple[int, ...] = (64,)
    pool: bool = True
    dropout: float = 0.0
    kind: str = "cnn"

    def __post_init__(self) -> None:
        if len(self.in_shape) != 3:
            raise ValueError(f"in_shape must be (channels, height, width), got {self.in_shape!r}")
        for index, size in enumerate(self.in_shape):
            _check_positive(f"in_shape[{index}]", size)
        _check_positive("num_classes", self.num_classes)
        if not self.channels:
            raise ValueError("channels must name at least one conv layer")
        for index, width in enumerate(self.channels):
            _check_positive(f"channels[{index}]", width)
        for index, width in enumerate(self.hidden):
            _check_positive(f"hidden[{index}]", width)
        if self.pool and (self.in_shape[1] < 2 or self.in_shape[2] < 2):
            raise ValueError(f"pool needs height and width >= 2, got in_shape={self.in_shape!r}")
        _check_dropout(self.dropout)

    @property
    def in_features(self) -> int:
        channels, height, width = self.in_shape
        return channels * height * width

    @property
    def spatial_after_conv(self) -> tuple[int, int]:
        _, height, width = self.in_shape
        return (height // 2, width // 2) if self.pool else (height, width)


ModelSpec = MLPSpec | CNNSpec


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_dropout(value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {value!r}")


class _Standardize(nn.Module):
    """Fixed per-feature standardisation; the statistics are buffers so they live in the state dict."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(num_features))
        self.register_buffer("input_std", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.input_mean) / self.input_std


class MultiLayerPerceptron(nn.Module):
    """``hidden_layers`` (Linear + ReLU each) then ``classifier``; input is a flat feature vector."""

    def __init__(self, spec: MLPSpec) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = _Standardize(spec.in_features)
        widths = [spec.in_features, *spec.hidden]
        self.hidden_layers = nn.ModuleList(
            nn.Linear(widths[i], widths[i + 1]) for i in range(len(spec.hidden))
        )
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(widths[-1], spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x.flatten(1))
        for layer in self.hidden_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.classifier(x)


class ConvNet(nn.Module):
    """``conv_layers`` (3x3 conv + ReLU), optional 2x2 max-pool, ``hidden_layers``, ``classifier``.

    Input is either flat (``N x C*H*W``, reshaped here) or already ``N x C x H x W``.
    """

    def __init__(self, spec: CNNSpec) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = _Standardize(spec.in_features)
        in_channels = [spec.in_shape[0], *spec.channels]
        self.conv_layers = nn.ModuleList(
            nn.Conv2d(in_channels[i], in_channels[i + 1], kernel_size=3, padding=1)
            for i in range(len(spec.channels))
        )
        self.pool = nn.MaxPool2d(2) if spec.pool else nn.Identity()
        height, width = spec.spatial_after_conv
        widths = [spec.channels[-1] * height * width, *spec.hidden]
        self.hidden_layers = nn.ModuleList(
            nn.Linear(widths[i], widths[i + 1]) for i in range(len(spec.hidden))
        )
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(widths[-1], spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x.flatten(1)).view(-1, *self.spec.in_shape)
        for conv in self.conv_layers:
            x = torch.relu(conv(x))
        x = self.pool(x).flatten(1)
        for layer in self.hidden_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.classifier(x)


def build_model(spec: ModelSpec) -> nn.Module:
    """Instantiate the module a spec describes (weights freshly initialised from torch's global RNG)."""
    if isinstance(spec, MLPSpec):
        return MultiLayerPerceptron(spec)
    if isinstance(spec, CNNSpec):
        return ConvNet(spec)
    raise TypeError(f"unknown model spec type {type(spec).__name__}")


_SPEC_TYPES: dict[str, type[MLPSpec] | type[CNNSpec]] = {"mlp": MLPSpec, "cnn": CNNSpec}


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """A JSON-friendly dict (tuples become lists) that :func:`spec_from_dict` turns back into the spec."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(spec).items()}


def spec_from_dict(data: dict[str, Any]) -> ModelSpec:
    """Rebuild a spec from :func:`spec_to_dict` output; unknown kinds or keys raise ``ValueError``."""
    kind = data.get("kind")
    if kind not in _SPEC_TYPES:
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {sorted(_SPEC_TYPES)}")
    spec_type = _SPEC_TYPES[kind]
    known = set(spec_type.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} for a {kind} spec; known keys: {sorted(known)}")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    return spec_type(**values)
