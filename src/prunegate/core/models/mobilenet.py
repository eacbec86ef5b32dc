"""MobileNetV2-style network of inverted residual blocks with depthwise-separable convolutions.

Sandler, Howard, Zhu, Zhmoginov & Chen, 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks":
each block expands the channels with a 1x1 convolution, filters every channel alone with a 3x3 depthwise
convolution (Howard et al., 2017, "MobileNets"), and projects back with a linear 1x1 convolution; the
input is added back when the shape is unchanged. Pruning a depthwise convolution's channel removes the
matching expansion channel too (a coupled group in Torch-Pruning's dependency graph).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from prunegate.core.models.common import (
    ShapedInput,
    Standardize,
    check_dropout,
    check_positive,
    check_shape,
    check_stages,
)

__all__ = ["MobileNet", "MobileNetSpec"]


@dataclass(frozen=True)
class MobileNetSpec(ShapedInput):
    """``in_shape = (channels, height, width)``; stage ``i`` has ``blocks[i]`` blocks of ``widths[i]``."""

    in_shape: tuple[int, int, int]
    num_classes: int
    stem_width: int = 16
    widths: tuple[int, ...] = (16, 24, 32)
    blocks: tuple[int, ...] = (1, 2, 2)
    expansion: int = 4
    dropout: float = 0.0
    kind: str = "mobilenet"

    def __post_init__(self) -> None:
        check_shape("in_shape", self.in_shape, 3, "channels, height, width")
        check_positive("num_classes", self.num_classes)
        check_positive("stem_width", self.stem_width)
        check_positive("expansion", self.expansion)
        check_stages(self.widths, self.blocks)
        check_dropout(self.dropout)


class InvertedResidual(nn.Module):
    """1x1 expand (BN, ReLU6), 3x3 depthwise (BN, ReLU6), 1x1 linear projection (BN), optional add."""

    def __init__(self, in_width: int, width: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = in_width * expansion
        self.expand = nn.Sequential(
            nn.Conv2d(in_width, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(),
        )
        self.project = nn.Sequential(nn.Conv2d(hidden, width, 1, bias=False), nn.BatchNorm2d(width))
        self.residual = stride == 1 and in_width == width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.depthwise(self.expand(x)))
        return x + out if self.residual else out


class MobileNet(nn.Module):
    """``stem``, ``blocks`` of :class:`InvertedResidual`, global average pooling, ``classifier``."""

    def __init__(self, spec: MobileNetSpec) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = Standardize(spec.in_features)
        self.stem = nn.Sequential(
            nn.Conv2d(spec.in_shape[0], spec.stem_width, 3, padding=1, bias=False),
            nn.BatchNorm2d(spec.stem_width),
            nn.ReLU6(),
        )
        blocks, in_width = [], spec.stem_width
        for index, (width, count) in enumerate(zip(spec.widths, spec.blocks, strict=True)):
            for block in range(count):
                stride = 2 if index > 0 and block == 0 else 1
                blocks.append(InvertedResidual(in_width, width, stride, spec.expansion))
                in_width = width
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(in_width, spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x).view(-1, *self.spec.in_shape)
        x = self.blocks(self.stem(x))
        return self.classifier(self.dropout(self.pool(x).flatten(1)))
