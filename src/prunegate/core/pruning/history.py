"""Replaying a recorded structured-pruning history on a freshly built model (no pickle).

Torch-Pruning records every cut as ``[layer name, is_output_channel, indices]`` (JSON). Building the
original architecture, tracing its dependency graph on an example input and replaying the history gives a
module of exactly the pruned shapes, into which the saved state dict loads with ``weights_only=True``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["PruningHistory", "check_history", "fresh_pruned_model", "quiet_engine", "replay_pruning"]

PruningHistory = list[list[Any]]
# Torch-Pruning warns about tracing details it handles (unwrapped recurrent parameters, recursion depth).
ENGINE_NOTICES = (r".*unwrapped.*", r"Maximum recursive depth", r".*non-singleton dimension.*")


def check_history(history: Any) -> PruningHistory:
    """``history`` as a list of ``[str, bool, [int, ...]]`` steps; raises ``ValueError`` otherwise."""
    if not isinstance(history, list):
        raise ValueError(f"pruning history must be a list, got {type(history).__name__}")
    for position, step in enumerate(history):
        valid = (
            isinstance(step, (list, tuple))
            and len(step) == 3
            and isinstance(step[0], str)
            and isinstance(step[1], bool)
            and isinstance(step[2], (list, tuple))
            and all(isinstance(index, int) and not isinstance(index, bool) for index in step[2])
        )
        if not valid:
            raise ValueError(f"pruning history step {position} is not [layer, is_output_channel, indices]")
    return [[step[0], step[1], list(step[2])] for step in history]


@contextmanager
def quiet_engine() -> Iterator[None]:
    """Silence the Torch-Pruning notices listed in :data:`ENGINE_NOTICES` (and nothing else)."""
    with warnings.catch_warnings():
        for notice in ENGINE_NOTICES:
            warnings.filterwarnings("ignore", notice)
        yield


def replay_pruning(model: nn.Module, example_input: Tensor, history: Sequence[Sequence[Any]]) -> nn.Module:
    """Apply a recorded pruning ``history`` to a freshly built ``model`` (in place; returned)."""
    if not history:
        return model
    import torch_pruning as tp  # only pruned models need the engine

    model.eval()  # tracing runs a forward pass: BatchNorm must not update its statistics
    with quiet_engine():
        graph = tp.DependencyGraph().build_dependency(model, example_inputs=example_input)
        graph.load_pruning_history([list(step) for step in history])
    return model


def fresh_pruned_model(model: nn.Module, in_features: int, history: Sequence[Sequence[Any]]) -> nn.Module:
    """``model`` (freshly built) cut to the pruned shapes of ``history`` and re-initialised.

    The architecture of a pruned model with new weights from torch's global RNG: a distillation student
    or a from-scratch baseline of exactly the pruned widths.
    """
    replay_pruning(model, torch.zeros(1, in_features), history)
    for module in model.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset) and any(True for _ in module.parameters(recurse=False)):
            reset()
    return model.train()
