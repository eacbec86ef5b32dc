"""How many channels each dependency group loses for one overall pruning ratio: uniform or global."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from prunegate.core.pruning.names import NameTable

__all__ = [
    "ALLOCATIONS",
    "ChannelGroup",
    "cap_ratio",
    "get_allocation",
    "global_allocation",
    "uniform_allocation",
]

# Torch-Pruning keeps int(size * (1 - ratio)) channels: a margin keeps float error from rounding 1 to 0.
_RATIO_MARGIN = 1e-6
Allocation = Callable[[Sequence["ChannelGroup"], float, float, int], dict[str, float]]


@dataclass(frozen=True)
class ChannelGroup:
    """One dependency group: named by its root layer, ``size`` channels, their normalised scores."""

    name: str
    size: int
    scores: Tensor


def cap_ratio(ratio: float, size: int, max_ratio: float, min_units: int = 1) -> float:
    """At most ``max_ratio``, and at least ``min_units`` channels kept (Torch-Pruning skips a group it
    would empty, so a larger ratio would prune less)."""
    return max(0.0, min(ratio, max_ratio, (size - min_units) / size - _RATIO_MARGIN))


def uniform_allocation(
    groups: Sequence[ChannelGroup], ratio: float, max_ratio: float, min_units: int = 1
) -> dict[str, float]:
    """The same channel ratio for every group (Torch-Pruning's default local pruning)."""
    return {group.name: cap_ratio(ratio, group.size, max_ratio, min_units) for group in groups}


def global_allocation(
    groups: Sequence[ChannelGroup], ratio: float, max_ratio: float, min_units: int = 1
) -> dict[str, float]:
    """Channels ranked together on their group-normalised scores; the lowest ``ratio`` of all are cut.

    Each group's share is capped (``max_ratio``, at least one channel kept), as in the global magnitude
    ranking of Han et al., 2015, with the per-group mean normalisation of Torch-Pruning.
    """
    if not groups:
        return {}
    every = torch.cat([group.scores for group in groups])
    cut = int(ratio * len(every))
    if cut == 0:
        return {group.name: 0.0 for group in groups}
    threshold = torch.kthvalue(every, cut).values
    return {
        group.name: cap_ratio(
            float((group.scores <= threshold).sum()) / group.size, group.size, max_ratio, min_units
        )
        for group in groups
    }


_ALLOCATIONS: NameTable[Allocation] = NameTable("allocation")
_ALLOCATIONS.register("uniform")(uniform_allocation)
_ALLOCATIONS.register("global")(global_allocation)
ALLOCATIONS: tuple[str, ...] = tuple(_ALLOCATIONS.names())


def get_allocation(name: str) -> Allocation:
    """The allocation registered under ``name``; unknown names list the known ones."""
    return _ALLOCATIONS.get(name)
