"""A prunegate criterion's weight scores as one score per channel of a Torch-Pruning dependency group."""

from __future__ import annotations

from typing import Any

import torch
import torch_pruning as tp
from torch import Tensor, nn
from torch_pruning.pruner import function

__all__ = ["CriterionImportance"]

_OUT = (function.prune_conv_out_channels, function.prune_linear_out_channels)
_IN = (function.prune_conv_in_channels, function.prune_linear_in_channels)
_EPSILON = 1e-12


class CriterionImportance(tp.importance.GroupMagnitudeImportance):
    """A prunegate criterion's weight scores as a Torch-Pruning group importance.

    A channel's local score in one layer is the sum of its weights' scores: the output row (or filter)
    when the group cuts the layer's outputs, the input column when it cuts its inputs; the group score
    is the mean over the group's layers, normalised by its mean (so ``global`` allocation compares groups
    of different sizes fairly). BatchNorm and layers without scores add nothing.

    Args:
        scores: layer module -> weight-shaped scores (higher is more important).
    """

    def __init__(self, scores: dict[nn.Module, Tensor]) -> None:
        super().__init__(p=1, group_reduction="mean", normalizer=_normalise_by_mean)
        self.scores = scores

    @torch.no_grad()
    def __call__(self, group: Any) -> Tensor | None:
        local_scores, root_indices = [], []
        for position, (dependency, indices) in enumerate(group):
            layer, prune_fn = dependency.layer, dependency.pruning_fn
            score = self.scores.get(layer)
            if score is None:
                continue
            if prune_fn in _OUT:
                local = score[indices].flatten(1).sum(1)
            elif prune_fn in _IN:
                per_input = score.transpose(0, 1).flatten(1).sum(1)
                groups = getattr(layer, "groups", 1)
                if prune_fn is function.prune_conv_in_channels and groups not in (1, layer.in_channels):
                    per_input = per_input.repeat(groups)
                local = per_input[indices]
            else:
                continue
            local_scores.append(local)
            root_indices.append(group[position].root_idxs)
        if not local_scores:
            return None
        return self._normalize(self._reduce(local_scores, root_indices), self.normalizer)


def _normalise_by_mean(scores: Tensor) -> Tensor:
    """Scores over their mean; an all-zero group (e.g. dead ReLU units) stays zero instead of NaN."""
    return scores / (scores.mean() + _EPSILON)
