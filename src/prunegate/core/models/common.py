"""What every architecture of the zoo shares: input standardisation, shape handling, spec checks."""

from __future__ import annotations

from math import prod

import torch
from torch import nn

__all__ = [
    "ShapedInput",
    "Standardize",
    "check_dropout",
    "check_positive",
    "check_shape",
    "check_stages",
    "shape_size",
]


def check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_dropout(value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {value!r}")


def check_shape(name: str, shape: tuple[int, ...], dims: int, meaning: str) -> None:
    """``shape`` has ``dims`` positive sizes; ``meaning`` names them in the error ("channels, length")."""
    if len(shape) != dims:
        raise ValueError(f"{name} must be ({meaning}), got {shape!r}")
    for index, size in enumerate(shape):
        check_positive(f"{name}[{index}]", size)


def check_stages(widths: tuple[int, ...], blocks: tuple[int, ...]) -> None:
    """One positive width and one positive block count per stage, at least one stage."""
    if not widths or len(widths) != len(blocks):
        raise ValueError(f"widths and blocks must name the same number (>= 1) of stages: {widths} / {blocks}")
    for index, width in enumerate(widths):
        check_positive(f"widths[{index}]", width)
    for index, count in enumerate(blocks):
        check_positive(f"blocks[{index}]", count)


def shape_size(shape: tuple[int, ...]) -> int:
    return prod(shape)


class Standardize(nn.Module):
    """Fixed per-feature standardisation of the flat input; the statistics are buffers in the state dict.

    Every model takes raw feature values (``N x features``, or already shaped ``N x *in_shape``) and
    standardises them with the training split's statistics, so a served model needs no preprocessing.
    """

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(num_features))
        self.register_buffer("input_std", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.input_mean) / self.input_std


class ShapedInput:
    """For specs with an ``in_shape``: the number of flat feature values one row holds."""

    in_shape: tuple[int, ...]

    @property
    def in_features(self) -> int:
        return shape_size(self.in_shape)
