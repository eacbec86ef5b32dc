"""What a pruning run returns, structured or unstructured: the model, its spec, every step, the cuts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from prunegate.core.models import ModelSpec
from prunegate.core.pruning.history import PruningHistory

__all__ = ["PruningOutcome"]


@dataclass
class PruningOutcome:
    """The pruned model, the original spec with the history that replays the cuts, and every step.

    Unstructured pruning keeps the architecture (masks only): no allocation, no history, nothing left
    dense.
    """

    module: nn.Module
    spec: ModelSpec
    steps: list[dict[str, Any]]
    allocation: list[dict[str, str]] = field(default_factory=list)  # the last step's, one row per layer
    history: PruningHistory = field(default_factory=list)
    left_dense: list[str] = field(default_factory=list)
