"""What a sensitivity scan measures on each pruned copy, chosen by name.

Li et al. (2017, "Pruning Filters for Efficient ConvNets") scan accuracy. On a few hundred validation
rows accuracy moves in steps of one row, and pruning one group a little often changes no prediction at
all, so a scan of accuracy is mostly ties and noise (measured here: sensitivity allocation won 6 of 20
pairs against uniform). The cross-entropy loss moves with every row's confidence, the way Molchanov et
al. (2017, "Pruning Convolutional Neural Networks for Resource Efficient Inference") judge a pruned
network by its change in loss; two scans on different rows agree far better with it
(``python -m benchmarks.scan_agreement``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from prunegate.core.training import predict_logits

__all__ = ["SCAN_MEASURES", "ScanMeasure", "get_scan_measure"]

Split = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class ScanMeasure:
    """A per-row score of a model on a split; the scan uses its mean."""

    name: str
    higher_is_better: bool
    per_row: Callable[[nn.Module, Split], torch.Tensor]

    def __call__(self, model: nn.Module, split: Split) -> float:
        return float(self.per_row(model, split).mean())


def _correct(model: nn.Module, split: Split) -> torch.Tensor:
    return (predict_logits(model, split[0]).argmax(1) == split[1]).float()


def _loss(model: nn.Module, split: Split) -> torch.Tensor:
    with torch.no_grad():
        return F.cross_entropy(predict_logits(model, split[0]), split[1], reduction="none")


SCAN_MEASURES: dict[str, ScanMeasure] = {
    "loss": ScanMeasure("loss", higher_is_better=False, per_row=_loss),
    "accuracy": ScanMeasure("accuracy", higher_is_better=True, per_row=_correct),
}


def get_scan_measure(name: str) -> ScanMeasure:
    """The scan measure called ``name``; an unknown name lists the known ones."""
    if name not in SCAN_MEASURES:
        raise ValueError(f"unknown scan measure {name!r}; known scan measures: {sorted(SCAN_MEASURES)}")
    return SCAN_MEASURES[name]
