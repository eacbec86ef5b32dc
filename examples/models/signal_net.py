"""An example of bringing your own PyTorch model to prunegate: a small 1-D CNN for signals.

Use it with ``training.model: {factory: "examples.models.signal_net:build", kwargs: {width: 32}}``.
prunegate calls ``build`` with the kwargs, plus ``num_classes`` and ``in_shape`` (``[channels, length]``)
because the signature names them. The module takes standardised inputs ``N x channels x length`` and
returns ``N x num_classes`` logits. It has what real models have and a hand-written pruner would not
handle: BatchNorm, a residual add, and a concatenation of two pooled views of the same features.
"""

from __future__ import annotations

import torch
from torch import nn


class SignalNet(nn.Module):
    """conv-BN-ReLU, a residual block, [max-pool, avg-pool] concatenated, a hidden layer, the output."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(in_channels, width, 7, padding=3, bias=False), nn.BatchNorm1d(width)
        )
        self.block = nn.Sequential(
            nn.Conv1d(width, width, 5, padding=2, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.Conv1d(width, width, 5, padding=2, bias=False),
            nn.BatchNorm1d(width),
        )
        self.hidden = nn.Linear(2 * width, hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(x))
        x = torch.relu(x + self.block(x))
        pooled = torch.cat([x.amax(dim=2), x.mean(dim=2)], dim=1)
        return self.out(torch.relu(self.hidden(pooled)))


def build(num_classes: int, in_shape: list[int], width: int = 32, hidden: int = 64) -> nn.Module:
    """The factory prunegate calls; ``in_shape`` is ``[channels, length]``."""
    return SignalNet(in_shape[0], num_classes, width=width, hidden=hidden)
