"""Residual networks of basic blocks for images (``resnet``, 2-D) and signals (``resnet1d``, 1-D).

He, Zhang, Ren & Sun, 2016, "Deep Residual Learning for Image Recognition": a stem convolution, stages of
basic blocks (two convolutions with BatchNorm, an identity shortcut, or a 1x1 convolution + BatchNorm when
the width or the resolution changes), global average pooling and a linear classifier. The first block of
every stage after the first halves the resolution. Widths and depths are configurable, so the same code
gives a CIFAR-style ResNet-20 (``widths=(16, 32, 64), blocks=(3, 3, 3)``) or a ResNet-18 layout
(``widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2)``). The 1-D variant is the same network with 1-D
convolutions, the strong baseline for time-series classification of Wang, Yan & Oates, 2017, "Time Series
Classification from Scratch with Deep Neural Networks: A Strong Baseline".

Every convolution is followed by BatchNorm, so a residual add couples the channels of a whole stage:
structured pruning must remove them together (Torch-Pruning's dependency graph does).
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

__all__ = ["ResNet", "ResNet1DSpec", "ResNetSpec"]


@dataclass(frozen=True)
class ResNetSpec(ShapedInput):
    """A 2-D ResNet for ``in_shape = (channels, height, width)``."""

    in_shape: tuple[int, int, int]
    num_classes: int
    widths: tuple[int, ...] = (16, 32, 64)
    blocks: tuple[int, ...] = (2, 2, 2)
    dropout: float = 0.0
    kind: str = "resnet"

    def __post_init__(self) -> None:
        check_shape("in_shape", self.in_shape, 3, "channels, height, width")
        check_positive("num_classes", self.num_classes)
        check_stages(self.widths, self.blocks)
        check_dropout(self.dropout)


@dataclass(frozen=True)
class ResNet1DSpec(ShapedInput):
    """A 1-D ResNet for ``in_shape = (channels, length)``; ``kernel_size`` of the block convolutions."""

    in_shape: tuple[int, int]
    num_classes: int
    widths: tuple[int, ...] = (32, 64, 128)
    blocks: tuple[int, ...] = (1, 1, 1)
    kernel_size: int = 5
    dropout: float = 0.0
    kind: str = "resnet1d"

    def __post_init__(self) -> None:
        check_shape("in_shape", self.in_shape, 2, "channels, length")
        check_positive("num_classes", self.num_classes)
        check_stages(self.widths, self.blocks)
        check_positive("kernel_size", self.kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same padding), got {self.kernel_size}")
        check_dropout(self.dropout)


class _Ops:
    """The layer types of one dimensionality."""

    def __init__(self, dims: int) -> None:
        self.conv = nn.Conv2d if dims == 2 else nn.Conv1d
        self.norm = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
        self.pool = nn.AdaptiveAvgPool2d(1) if dims == 2 else nn.AdaptiveAvgPool1d(1)


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the shortcut, then ReLU (He et al., 2016, Fig. 2)."""

    def __init__(self, ops: _Ops, in_width: int, width: int, stride: int, kernel_size: int) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.conv1 = ops.conv(in_width, width, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn1 = ops.norm(width)
        self.conv2 = ops.conv(width, width, kernel_size, padding=padding, bias=False)
        self.bn2 = ops.norm(width)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_width != width:
            self.shortcut = nn.Sequential(
                ops.conv(in_width, width, 1, stride=stride, bias=False), ops.norm(width)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """``stem``, ``stages`` of :class:`BasicBlock`, global average pooling, ``classifier``."""

    def __init__(self, spec: ResNetSpec | ResNet1DSpec) -> None:
        super().__init__()
        self.spec = spec
        dims = len(spec.in_shape) - 1
        ops = _Ops(dims)
        kernel = spec.kernel_size if isinstance(spec, ResNet1DSpec) else 3
        stem_kernel = 7 if dims == 1 else 3
        self.standardize = Standardize(spec.in_features)
        self.stem = nn.Sequential(
            ops.conv(spec.in_shape[0], spec.widths[0], stem_kernel, padding=stem_kernel // 2, bias=False),
            ops.norm(spec.widths[0]),
            nn.ReLU(),
        )
        stages, in_width = [], spec.widths[0]
        for index, (width, count) in enumerate(zip(spec.widths, spec.blocks, strict=True)):
            blocks = []
            for block in range(count):
                stride = 2 if index > 0 and block == 0 else 1
                blocks.append(BasicBlock(ops, in_width, width, stride, kernel))
                in_width = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = ops.pool
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(in_width, spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x).view(-1, *self.spec.in_shape)
        x = self.stages(self.stem(x))
        return self.classifier(self.dropout(self.pool(x).flatten(1)))
