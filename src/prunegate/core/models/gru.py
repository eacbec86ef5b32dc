"""A GRU sequence classifier for signals and sequences of feature vectors.

Cho et al., 2014, "Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine
Translation" (the gated recurrent unit). The input ``(channels, length)`` is read as ``length`` time steps
of ``channels`` features; the last hidden state (both directions when bidirectional) goes through the
``head`` (Linear + ReLU layers) and the classifier. Structured pruning removes head neurons; the
recurrent layer itself is left dense (the pruning report says so).
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
)

__all__ = ["GRUClassifier", "GRUSpec"]


@dataclass(frozen=True)
class GRUSpec(ShapedInput):
    """``in_shape = (channels, length)``: ``length`` steps of ``channels`` features."""

    in_shape: tuple[int, int]
    num_classes: int
    hidden_size: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    head: tuple[int, ...] = (64,)
    dropout: float = 0.0
    kind: str = "gru"

    def __post_init__(self) -> None:
        check_shape("in_shape", self.in_shape, 2, "channels, length")
        check_positive("num_classes", self.num_classes)
        check_positive("hidden_size", self.hidden_size)
        check_positive("num_layers", self.num_layers)
        for index, width in enumerate(self.head):
            check_positive(f"head[{index}]", width)
        check_dropout(self.dropout)


class GRUClassifier(nn.Module):
    """``gru`` over time, last hidden state, ``head_layers`` (Linear + ReLU), ``classifier``."""

    def __init__(self, spec: GRUSpec) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = Standardize(spec.in_features)
        self.gru = nn.GRU(
            spec.in_shape[0],
            spec.hidden_size,
            num_layers=spec.num_layers,
            batch_first=True,
            bidirectional=spec.bidirectional,
        )
        directions = 2 if spec.bidirectional else 1
        widths = [spec.hidden_size * directions, *spec.head]
        self.head_layers = nn.ModuleList(nn.Linear(widths[i], widths[i + 1]) for i in range(len(spec.head)))
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(widths[-1], spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x).view(-1, *self.spec.in_shape).transpose(1, 2)  # N x length x channels
        _, last = self.gru(x)  # (layers * directions) x N x hidden
        directions = 2 if self.spec.bidirectional else 1
        x = last[-directions:].transpose(0, 1).flatten(1)
        for layer in self.head_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.classifier(x)
