"""A multilayer perceptron for flat feature vectors."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from prunegate.core.models.common import Standardize, check_dropout, check_positive

__all__ = ["MLPSpec", "MultiLayerPerceptron"]


@dataclass(frozen=True)
class MLPSpec:
    """A multilayer perceptron: ``in_features -> hidden[0] -> ... -> num_classes`` with ReLU."""

    in_features: int
    num_classes: int
    hidden: tuple[int, ...] = (256, 128)
    dropout: float = 0.0
    kind: str = "mlp"

    def __post_init__(self) -> None:
        check_positive("in_features", self.in_features)
        check_positive("num_classes", self.num_classes)
        for index, width in enumerate(self.hidden):
            check_positive(f"hidden[{index}]", width)
        check_dropout(self.dropout)


class MultiLayerPerceptron(nn.Module):
    """``hidden_layers`` (Linear + ReLU each) then ``classifier``; input is a flat feature vector."""

    def __init__(self, spec: MLPSpec) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = Standardize(spec.in_features)
        widths = [spec.in_features, *spec.hidden]
        self.hidden_layers = nn.ModuleList(
            nn.Linear(widths[i], widths[i + 1]) for i in range(len(spec.hidden))
        )
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(widths[-1], spec.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x)
        for layer in self.hidden_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.classifier(x)
