"""Structured pruning end to end: score, allocate per-group ratios to a budget, cut, fine-tune; repeat.

Each step of the schedule lowers the budget (MACs, params or measured latency) towards
``dense_cost * (1 - reduction)``: weight scores are computed on the current model, channel ratios are
allocated to its dependency groups (``uniform``, ``global`` ranking, or ``sensitivity`` from a per-group
scan), whole channels are removed by Torch-Pruning's dependency graph
(:mod:`prunegate.core.pruning.channel_pruning`; Li et al., 2017, "Pruning Filters for Efficient
ConvNets"; Fang et al., 2023, "DepGraph") and the smaller model is fine-tuned. The fine-tuning budget is
split evenly over the steps, so every schedule gets the same total (Blalock et al., 2020, "What is the
State of Neural Network Pruning?"). Every step's cuts are appended to one pruning history, which
replays them on the original architecture when the model is loaded.

With the ``snip`` criterion the model is pruned at initialisation (Lee et al., 2019) in one shot and
then trained from scratch with the dense model's training recipe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from prunegate.core.distillation import SoftTargets, soft_target_loss
from prunegate.core.models import ModelSpec
from prunegate.core.pruning.budget import LatencyProbe, cost_unit, module_cost
from prunegate.core.pruning.channel_pruning import (
    ChannelPruningResult,
    channel_groups,
    prune_channels,
    prune_channels_to_budget,
    sensitivity_scan,
)
from prunegate.core.pruning.criteria import get_criterion, prunes_at_initialisation
from prunegate.core.pruning.history import PruningHistory
from prunegate.core.pruning.outcome import PruningOutcome
from prunegate.core.pruning.scan_measures import get_scan_measure
from prunegate.core.pruning.sensitivity import allocate_ratios, allocation_rows
from prunegate.core.pruning.starting_point import initialised_like, step_targets
from prunegate.core.training import TrainConfig, split_accuracy, train_model

__all__ = ["StructuredRecipe", "check_structured_budget", "run_structured_pruning"]

logger = logging.getLogger(__name__)

Split = tuple[torch.Tensor, torch.Tensor]
_CEILING = 0.95  # no group loses more of its channels in uniform / global allocation


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
    round_to: int | None = None
    scan_measure: str = "loss"  # what the sensitivity scan measures (scan_measures.SCAN_MEASURES)
    soft_targets: SoftTargets | None = None  # fine-tune on the dense model's soft targets too (distillation)


def _example(spec: ModelSpec) -> torch.Tensor:
    return torch.zeros(1, spec.in_features)


def check_structured_budget(model: nn.Module, spec: ModelSpec, recipe: StructuredRecipe) -> float:
    """Dense cost of the budget, after checking the target can be met at all; raises ValueError if not."""
    cost = module_cost(recipe.budget, spec.in_features, recipe.latency_probe)
    example = _example(spec)
    scores = get_criterion("magnitude_l1").weight_scores(model)  # the ceiling does not depend on scores
    groups = channel_groups(model, example, scores)
    if not groups:
        raise ValueError(
            f"nothing prunable: this {spec.kind} model has no channel group outside its classifier"
        )
    dense_cost = cost(model)
    ceiling = max(recipe.scan_ratios) if recipe.allocation == "sensitivity" else _CEILING
    widest = prune_channels(
        model, example, scores, dict.fromkeys((g.name for g in groups), ceiling), min_units=recipe.min_units
    )
    if cost(widest.module) > dense_cost * (1.0 - recipe.reduction):
        unit = cost_unit(recipe.budget, recipe.latency_probe)
        raise ValueError(
            f"{recipe.budget} budget cannot be met: even removing {ceiling:g} of every group's channels "
            f"costs {cost(widest.module):.4g} {unit}, above the target "
            f"{dense_cost * (1.0 - recipe.reduction):.4g} {unit} (dense {dense_cost:.4g} {unit}, reduction "
            f"{recipe.reduction:g}); lower pruning.reduction"
        )
    return dense_cost


def _prune_step(
    module, spec, recipe, criterion, calibration, val, target
) -> tuple[ChannelPruningResult, str]:
    cost = module_cost(recipe.budget, spec.in_features, recipe.latency_probe)
    example = _example(spec)
    if recipe.allocation != "sensitivity":
        result = prune_channels_to_budget(
            module,
            example,
            criterion,
            calibration,
            cost,
            target,
            allocation=recipe.allocation,
            round_to=recipe.round_to,
            max_ratio=_CEILING,
            min_units=recipe.min_units,
        )
        return result, allocation_rows(result.ratios)
    scores = criterion.weight_scores(module, calibration)
    groups = channel_groups(module, example, scores)

    def pruned_cost(ratios: dict[str, float]) -> float:
        pruned = prune_channels(
            module, example, scores, ratios, round_to=recipe.round_to, min_units=recipe.min_units
        )
        return cost(pruned.module)

    measure = get_scan_measure(recipe.scan_measure)
    scan = sensitivity_scan(
        module,
        example,
        scores,
        groups,
        recipe.scan_ratios,
        lambda m: measure(m, val),
        min_units=recipe.min_units,
    )
    baseline = measure(module, val)
    dense = cost(module)
    group_costs = {name: dense - pruned_cost({name: max(recipe.scan_ratios)}) for name in scan}
    better = measure.higher_is_better
    ratios = allocate_ratios(
        scan, baseline, group_costs, pruned_cost, target, recipe.scan_ratios, higher_is_better=better
    )
    result = prune_channels(
        module, example, scores, ratios, round_to=recipe.round_to, min_units=recipe.min_units
    )
    result.cost = cost(result.module)
    return result, allocation_rows(ratios, scan, baseline, group_costs, higher_is_better=better)


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
    at_init = prunes_at_initialisation(recipe.criterion)
    criterion = get_criterion(recipe.criterion)
    dense_cost = check_structured_budget(model, spec, recipe)
    module = model
    if at_init:
        module = initialised_like(model, spec, recipe.finetune.seed, recipe.criterion, from_scratch)
    targets = step_targets(recipe.criterion, recipe.schedule, recipe.reduction, recipe.steps)
    epochs_per_step = recipe.finetune.epochs // len(targets)
    finetune_loss = soft_target_loss(model, recipe.soft_targets)
    history: PruningHistory = []
    steps: list[dict[str, Any]] = []
    allocation: list[dict[str, str]] = []
    left_dense: list[str] = []
    for step, reduction in enumerate(targets, start=1):
        target = dense_cost * (1.0 - reduction)
        result, allocation = _prune_step(module, spec, recipe, criterion, calibration, val, target)
        module, left_dense = result.module, result.left_dense
        history.extend(result.history)
        before = split_accuracy(module, val)
        config = from_scratch if at_init else replace(recipe.finetune, epochs=epochs_per_step)
        train_model(
            module, train, val, config, loss_fn=finetune_loss, description=f"prune step {step}/{len(targets)}"
        )
        steps.append(
            {
                "step": step,
                "target_reduction": reduction,
                "ratios": result.ratios,
                "cost": result.cost,
                "target_cost": target,
                "val_accuracy_before_finetune": before,
                "val_accuracy_after_finetune": split_accuracy(module, val),
            }
        )
        logger.info("structured step %d: %s", step, steps[-1])
    if left_dense:
        logger.info("left dense (the pruning engine cannot cut these layers): %s", ", ".join(left_dense))
    return PruningOutcome(
        module=module, spec=spec, steps=steps, allocation=allocation, history=history, left_dense=left_dense
    )
