"""Where a pruning recipe starts, and the targets of its steps.

A criterion that prunes at initialisation (SNIP; Lee, Ajanthan & Torr, 2019) starts from a freshly,
seededly initialised model with the trained model's input standardisation, prunes once to the goal and
then trains with the dense recipe; every other criterion starts from the trained model and reaches the
goal in the schedule's steps.
"""

from __future__ import annotations

from torch import nn

from prunegate.core.models import ModelSpec, build_model
from prunegate.core.pruning.criteria import prunes_at_initialisation
from prunegate.core.pruning.schedules import get_schedule
from prunegate.core.training import TrainConfig, seed_everything

__all__ = ["initialised_like", "step_targets"]


def initialised_like(
    model: nn.Module, spec: ModelSpec, seed: int, criterion: str, from_scratch: TrainConfig | None
) -> nn.Module:
    """A seeded fresh model of ``spec`` that standardises its inputs as ``model`` does.

    Raises:
        ValueError: ``from_scratch`` (the dense training recipe the pruned model is then trained with)
            is missing.
    """
    if from_scratch is None:
        raise ValueError(f"criterion {criterion!r} prunes at initialisation and needs the training recipe")
    seed_everything(seed)
    module = build_model(spec)
    module.standardize.load_state_dict(model.standardize.state_dict())
    return module


def step_targets(criterion: str, schedule: str, goal: float, steps: int) -> list[float]:
    """The goal of each pruning step: the goal at once at initialisation, else the schedule's steps."""
    if prunes_at_initialisation(criterion):
        return [goal]
    return get_schedule(schedule)(goal, steps)
