"""A small plain CNN (no BatchNorm, no residuals) for image-shaped features."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from prunegate.core.models.common import Standardize, check_dropout, check_positive, check_shape

__all__ = ["CNNSpec", "ConvNet"]


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
        check_shape("in_shape", self.in_shape, 3, "channels, height, width")
        check_positive("num_classes", self.num_classes)
        if not self.channels:
            raise ValueError("channels must name at least one conv layer")
        for index, width in enumerate(self.channels):
            check_positive(f"channels[{index}]", width)
        for index, width in enumerate(self.hidden):
            check_positive(f"hidden[{index}]", width)
        if self.pool and (self.in_shape[1] < 2 or self.in_shape[2] < 2):
            raise ValueError(f"pool needs height and width >= 2, got in_shape={self.in_shape!r}")
        check_dropout(self.dropout)

    @property
    def in_features(self) -> int:
        channels, height, width = self.in_shape
        return channels * height * width

    @property
    def spatial_after_conv(self) -> tuple[int, int]:
        _, height, width = self.in_shape
        return (height // 2, width // 2) if self.pool else (height, width)


class ConvNet(nn.Module):
    """``conv_layers`` (3x3 conv + ReLU), optional 2x2 max-pool, ``hidden_layers``, ``classifier``.

    Input is either flat (``N x C*H*W``, reshaped here) or already ``N x C x H x W``.
    """

    def __init__(self, spec: CNNSpec) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = Standardize(spec.in_features)
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
        x = self.standardize(x).view(-1, *self.spec.in_shape)
        for conv in self.conv_layers:
            x = torch.relu(conv(x))
        x = self.pool(x).flatten(1)
        for layer in self.hidden_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.classifier(x)
