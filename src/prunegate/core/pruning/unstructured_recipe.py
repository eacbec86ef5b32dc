"""Unstructured pruning end to end: score weights, mask to the step's sparsity, fine-tune with the mask.

The schedule gives the sparsity of each pruning event: one-shot (a single event), iterative
(Han et al., 2015, geometric steps) or gradual (Zhu & Gupta, 2017, cubic). The fine-tuning budget is
split evenly over the events, so schedules are compared at the same total cost (Blalock et al., 2020).
Masked weights are held at zero during fine-tuning and stay zero in the saved state dict: the mask is
permanent without any reparametrisation left in the module.

With the ``snip`` criterion the mask is chosen at initialisation (Lee et al., 2019) and the masked
network is trained from scratch with the dense model's training recipe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from prunegate.core.distillation import SoftTargets, soft_target_loss
from prunegate.core.models import ModelSpec, build_model
from prunegate.core.pruning.criteria import get_criterion, prunes_at_initialisation
from prunegate.core.pruning.outcome import PruningOutcome
from prunegate.core.pruning.starting_point import initialised_like, step_targets
from prunegate.core.pruning.unstructured import MaskEnforcer, prune_unstructured, sparsity_of
from prunegate.core.training import TrainConfig, split_accuracy, train_model

__all__ = ["UnstructuredRecipe", "run_unstructured_pruning"]

logger = logging.getLogger(__name__)

Split = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class UnstructuredRecipe:
    criterion: str
    sparsity: float
    scope: str
    schedule: str
    steps: int
    finetune: TrainConfig
    soft_targets: SoftTargets | None = None  # fine-tune on the dense model's soft targets too (distillation)


def run_unstructured_pruning(
    model: nn.Module,
    spec: ModelSpec,
    train: Split,
    val: Split,
    recipe: UnstructuredRecipe,
    *,
    calibration: Split,
    from_scratch: TrainConfig | None = None,
) -> PruningOutcome:
    """Prune a copy of ``model`` to ``recipe.sparsity`` of its prunable weights; see the module docstring."""
    at_init = prunes_at_initialisation(recipe.criterion)
    criterion = get_criterion(recipe.criterion)
    if at_init:
        module = initialised_like(model, spec, recipe.finetune.seed, recipe.criterion, from_scratch)
    else:
        module = build_model(spec)
        module.load_state_dict(model.state_dict())
    targets = step_targets(recipe.criterion, recipe.schedule, recipe.sparsity, recipe.steps)
    epochs_per_step = recipe.finetune.epochs // len(targets)
    finetune_loss = soft_target_loss(model, recipe.soft_targets)
    history: list[dict[str, Any]] = []
    for step, sparsity in enumerate(targets, start=1):
        masks = prune_unstructured(module, criterion, sparsity, scope=recipe.scope, calibration=calibration)
        before = split_accuracy(module, val)
        config = from_scratch if at_init else replace(recipe.finetune, epochs=epochs_per_step)
        train_model(
            module,
            train,
            val,
            config,
            loss_fn=finetune_loss,
            after_step=MaskEnforcer(masks),
            description=f"prune step {step}",
        )
        history.append(
            {
                "step": step,
                "target_sparsity": sparsity,
                "sparsity": sparsity_of(module)["overall"],
                "val_accuracy_before_finetune": before,
                "val_accuracy_after_finetune": split_accuracy(module, val),
            }
        )
        logger.info("unstructured step %d: %s", step, history[-1])
    return PruningOutcome(module=module.eval(), spec=spec, steps=history)
