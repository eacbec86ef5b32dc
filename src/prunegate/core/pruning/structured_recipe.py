"""Structured pruning end to end: score, allocate per-layer ratios to a budget, cut, fine-tune; repeat.

Each step of the schedule lowers the budget (MACs, params or measured latency) towards
``dense_cost * (1 - reduction)``: unit scores are computed on the current model, per-layer ratios are
allocated (uniform, or from a per-layer sensitivity scan), whole neurons / channels are removed
(Li et al., 2017, "Pruning Filters for Efficient ConvNets") and the smaller model is fine-tuned.
The fine-tuning budget is split evenly over the steps, so every schedule gets the same total
(Blalock et al., 2020, "What is the State of Neural Network Pruning?").

With the ``snip`` criterion the model is pruned at initialisation (Lee et al., 2019) in one shot and
then trained from scratch with the dense model's training recipe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from prunegate.core.models import ModelSpec, build_model
from prunegate.core.pruning.budget import LatencyProbe, cost_model_for, uniform_ratios
from prunegate.core.pruning.criteria import get_criterion
from prunegate.core.pruning.schedules import get_schedule
from prunegate.core.pruning.sensitivity import allocate_ratios, format_allocation_table, sensitivity_scan
from prunegate.core.pruning.structured import keep_indices_from_scores, prune_structured
from prunegate.core.training import TrainConfig, seed_everything, split_accuracy, train_model

__all__ = ["PruningOutcome", "StructuredRecipe", "check_structured_budget", "run_structured_pruning"]

logger = logging.getLogger(__name__)

Split = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class StructuredRecipe:
    """Everything that defines one structured-pruning run (validated upstream)."""

    criterion: str
    budget: str
    reduction: float
    allocation: str
    schedule: str
    steps: int
    scan_ratios: tuple[float, ...]
    min_units: int
    finetune: TrainConfig
    latency_probe: LatencyProbe = field(default_factory=LatencyProbe)


@dataclass
class PruningOutcome:
    """The pruned model, its spec, and what happened at each step (ratios, costs, accuracies)."""

    module: nn.Module
    spec: ModelSpec
    steps: list[dict[str, Any]]
    allocation_table: str = ""


def _cost_model(recipe: StructuredRecipe, spec: ModelSpec, train: Split):
    return cost_model_for(
        recipe.budget, spec, (train[0].shape[1],), min_units=recipe.min_units, probe=recipe.latency_probe
    )


def check_structured_budget(spec: ModelSpec, recipe: StructuredRecipe, in_features: int) -> float:
    """Dense cost of the budget, after checking the target can be met at all; raises ValueError if not."""
    cost = cost_model_for(
        recipe.budget, spec, (in_features,), min_units=recipe.min_units, probe=recipe.latency_probe
    )
    dense_cost = cost({})
    target = dense_cost * (1.0 - recipe.reduction)
    ceiling = max(recipe.scan_ratios) if recipe.allocation == "sensitivity" else 0.99
    uniform_ratios(spec, cost, target, max_ratio=ceiling)  # raises when even the ceiling cannot meet it
    return dense_cost


def _allocate(module, spec, recipe, cost, target, val, scores) -> tuple[dict[str, float], str]:
    if recipe.allocation == "uniform":
        ratios = uniform_ratios(spec, cost, target)
        return ratios, format_allocation_table(ratios)
    scan = sensitivity_scan(
        module, spec, scores, lambda m: split_accuracy(m, val), recipe.scan_ratios, min_units=recipe.min_units
    )
    baseline = split_accuracy(module, val)
    dense_costs = {layer: cost({}) - cost({layer: max(recipe.scan_ratios)}) for layer in scan}
    ratios = allocate_ratios(scan, baseline, dense_costs, cost, target, recipe.scan_ratios)
    return ratios, format_allocation_table(ratios, scan, baseline, dense_costs)


def run_structured_pruning(
    model: nn.Module,
    spec: ModelSpec,
    train: Split,
    val: Split,
    recipe: StructuredRecipe,
    *,
    calibration: Split,
    from_scratch: TrainConfig | None = None,
) -> PruningOutcome:
    """Prune ``model`` (not modified) to the recipe's budget and fine-tune; see the module docstring.

    Args:
        from_scratch: the dense training recipe, used when the criterion prunes at initialisation.
    """
    at_init = recipe.criterion == "snip"
    criterion = get_criterion(recipe.criterion)
    dense_cost = check_structured_budget(spec, recipe, train[0].shape[1])
    module, current_spec = model, spec
    if at_init:
        if from_scratch is None:
            raise ValueError("criterion 'snip' prunes at initialisation and needs the training recipe")
        seed_everything(recipe.finetune.seed)
        module = build_model(spec)
        module.standardize.load_state_dict(model.standardize.state_dict())
    targets = [recipe.reduction] if at_init else get_schedule(recipe.schedule)(recipe.reduction, recipe.steps)
    epochs_per_step = recipe.finetune.epochs // len(targets)
    history: list[dict[str, Any]] = []
    table = ""
    for step, reduction in enumerate(targets, start=1):
        cost = _cost_model(recipe, current_spec, train)
        target = dense_cost * (1.0 - reduction)
        scores = criterion.unit_scores(module, calibration)
        ratios, table = _allocate(module, current_spec, recipe, cost, target, val, scores)
        keep = keep_indices_from_scores(scores, ratios, recipe.min_units)
        module, current_spec = prune_structured(module, current_spec, keep)
        before = split_accuracy(module, val)
        config = from_scratch if at_init else replace(recipe.finetune, epochs=epochs_per_step)
        train_model(module, train, val, config, description=f"prune step {step}/{len(targets)}")
        history.append(
            {
                "step": step,
                "target_reduction": reduction,
                "ratios": ratios,
                "cost": _cost_model(recipe, current_spec, train)({}),
                "target_cost": target,
                "val_accuracy_before_finetune": before,
                "val_accuracy_after_finetune": split_accuracy(module, val),
            }
        )
        logger.info("structured step %d: %s", step, history[-1])
    return PruningOutcome(module=module, spec=current_spec, steps=history, allocation_table=table)
