"""Structured pruning of any graph with Torch-Pruning: whole dependency groups, scored by our criteria.

Fang et al., 2023, "DepGraph: Towards Any Structural Pruning" (CVPR; the Torch-Pruning library): removing
output channel ``c`` of a layer must also remove everything coupled to it, the next layers' input
channels, the BatchNorm that normalises it, every layer joined to it by a residual add, the matching
channel of a depthwise convolution. The dependency graph finds these groups for any ``nn.Module`` by
tracing one forward pass; the project does no surgery of its own.

Our criteria (:mod:`prunegate.core.pruning.criteria`) score weights; :class:`CriterionImportance` turns
those scores into one score per channel of a group, the way Torch-Pruning's group magnitude importance
does (a unit's output row plus its input column in every following layer, averaged over the group,
normalised by the group mean). Allocation is either ``uniform`` (one channel ratio for every group) or
``global`` (groups ranked together on their normalised scores, Torch-Pruning's global pruning). The ratio
is searched by bisection until the pruned model's cost (MACs or parameters) meets the budget.

Layers with parameters that the engine cannot prune (recurrent layers, attention, embeddings) are left
dense and listed in :attr:`ChannelPruningResult.left_dense`. The classifier is never pruned.

The result carries Torch-Pruning's pruning history (JSON: ``[layer, is_output_channel, indices]``), which
replays the same cuts on a freshly built model (:func:`~prunegate.core.pruning.history.replay_pruning`):
a pruned model of any architecture saves as architecture reference + history + state dict and loads
without pickle.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch_pruning as tp
from torch import Tensor, nn

from prunegate.core.pruning.allocation import ChannelGroup, cap_ratio, get_allocation
from prunegate.core.pruning.criteria import Calibration, ImportanceCriterion
from prunegate.core.pruning.group_importance import CriterionImportance
from prunegate.core.pruning.history import PruningHistory, quiet_engine

__all__ = [
    "ROUND_MIN_MULTIPLES",
    "ChannelPruningResult",
    "channel_groups",
    "prune_channels",
    "prune_channels_to_budget",
    "rounds_group",
    "sensitivity_scan",
    "unprunable_layers",
]

logger = logging.getLogger(__name__)

CostFunction = Callable[[nn.Module], float]

_ROOT_TYPES = [nn.modules.conv._ConvNd, nn.Linear]
_ENGINE_TYPES = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._BatchNorm, nn.LayerNorm)
_BISECTION_STEPS = 14
_TOP_UP_ROUNDS = 4
ROUND_MIN_MULTIPLES = 4  # a group is rounded to multiples of round_to only with at least 4 of them


@dataclass
class ChannelPruningResult:
    """The pruned copy, how to replay it, what it costs, and what the engine left alone."""

    module: nn.Module
    history: PruningHistory
    ratios: dict[str, float]
    cost: float | None = None
    left_dense: list[str] = field(default_factory=list)


def unprunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Modules holding parameters of their own that the engine cannot prune (left dense), by name."""
    return {
        name: module
        for name, module in model.named_modules()
        if not isinstance(module, _ENGINE_TYPES) and any(True for _ in module.parameters(recurse=False))
    }


def _ignored(model: nn.Module) -> list[nn.Module]:
    return [model.classifier, *unprunable_layers(model).values()]


def _by_module(model: nn.Module, scores_by_name: dict[str, Tensor]) -> dict[nn.Module, Tensor]:
    modules = dict(model.named_modules())
    return {modules[name]: score for name, score in scores_by_name.items() if name in modules}


def channel_groups(
    model: nn.Module, example_input: Tensor, scores_by_name: dict[str, Tensor]
) -> list[ChannelGroup]:
    """The prunable dependency groups of ``model`` (classifier and unprunable layers excluded), scored."""
    importance = CriterionImportance(_by_module(model, scores_by_name))
    names = {module: name for name, module in model.named_modules()}
    was_training = model.training
    with quiet_engine():
        graph = tp.DependencyGraph().build_dependency(model.eval(), example_inputs=example_input)
        groups = list(graph.get_all_groups(ignored_layers=_ignored(model), root_module_types=_ROOT_TYPES))
    model.train(was_training)
    result = []
    for group in groups:
        scores = importance(group)
        if scores is None:
            continue
        result.append(ChannelGroup(names[group[0].dep.target.module], len(scores), scores.detach()))
    return result


def prune_channels(
    model: nn.Module,
    example_input: Tensor,
    scores_by_name: dict[str, Tensor],
    ratios: dict[str, float],
    *,
    round_to: int | None = None,
    min_units: int = 1,
) -> ChannelPruningResult:
    """Prune a copy of ``model`` (not modified): group ``name`` loses the fraction ``ratios[name]``.

    Args:
        scores_by_name: weight scores per layer name of ``model`` (a criterion's ``weight_scores``); the
            lowest-scoring channels of each group are removed.
        ratios: root layer name of a group (see :func:`channel_groups`) -> fraction of channels to remove.
        round_to: wide groups (see :func:`rounds_group`) keep channel counts that are multiples of this
            (CPU kernels like multiples of 8); Torch-Pruning is given the exact counts.
        min_units: every group keeps at least this many channels (ratios are lowered to keep them).
    """
    work = copy.deepcopy(model).eval()
    modules = dict(work.named_modules())
    unknown = sorted(set(ratios) - set(modules))
    if unknown:
        raise ValueError(f"no layer named {unknown[0]!r} in the model to prune")
    for name, ratio in ratios.items():
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f"channel pruning ratio of {name!r} must be in [0, 1), got {ratio!r}")
    left_dense = sorted(unprunable_layers(work))
    capped = {
        name: _rounded_ratio(ratio, modules[name].weight.shape[0], round_to, min_units)
        for name, ratio in ratios.items()
    }
    selected = {modules[name]: ratio for name, ratio in capped.items() if ratio > 0.0}
    if not selected:
        return ChannelPruningResult(module=work, history=[], ratios=dict(ratios), left_dense=left_dense)
    with quiet_engine():
        pruner = tp.pruner.MetaPruner(
            work,
            example_input,
            importance=CriterionImportance(_by_module(work, scores_by_name)),
            pruning_ratio=0.0,
            pruning_ratio_dict=selected,
            ignored_layers=_ignored(work),
            root_module_types=_ROOT_TYPES,
        )
        pruner.step()
    history = [[name, bool(out), [int(i) for i in cut]] for name, out, cut in pruner.pruning_history()]
    return ChannelPruningResult(module=work, history=history, ratios=dict(ratios), left_dense=left_dense)


def rounds_group(size: int, round_to: int | None) -> bool:
    """Whether a group of ``size`` channels keeps a multiple of ``round_to``: only wide groups do.

    Rounding pays off in the wide layers, where the CPU kernels are vectorised over channels (measured:
    ``make bench-speedup``); in a narrow one (fewer than ``ROUND_MIN_MULTIPLES * round_to`` channels) it
    would leave only one or two possible widths, and a MAC budget could become unreachable (16 channels
    rounded to 8 can only be 8 or 16).
    """
    return bool(round_to) and size >= ROUND_MIN_MULTIPLES * round_to


def _rounded_ratio(ratio: float, size: int, round_to: int | None, min_units: int) -> float:
    """The ratio that makes Torch-Pruning keep the intended count: its own ``int(size * (1 - ratio))``,
    rounded down to a multiple of ``round_to`` in a wide group, and at least ``min_units`` (or one
    multiple) channels."""
    kept = int(size * (1.0 - min(max(ratio, 0.0), 1.0)))
    floor = min_units
    if rounds_group(size, round_to):
        kept -= kept % round_to
        floor = max(min_units, round_to)
    kept = min(size, max(kept, floor))
    if kept >= size:
        return 0.0
    return cap_ratio(1.0 - (kept + 0.5) / size, size, 1.0, floor)  # TP keeps int(size * (1 - r)) == kept


def _top_up(
    best: ChannelPruningResult,
    groups: Sequence[ChannelGroup],
    target_cost: float,
    attempt: Callable[[dict[str, float]], ChannelPruningResult],
    round_to: int | None,
) -> ChannelPruningResult:
    """Give channels back, widest group first, while the cost stays within the target.

    Channel counts are integers, so the bisection's allocation usually lands below the budget; this
    brings the pruned model to the budget itself (so methods are compared at the same cost), at most
    :data:`_TOP_UP_ROUNDS` tries per group.
    """
    ratios = dict(best.ratios)
    for group in sorted(groups, key=lambda item: -item.size):
        for _ in range(_TOP_UP_ROUNDS):
            if ratios.get(group.name, 0.0) <= 0.0:
                break
            step = round_to if rounds_group(group.size, round_to) else 1
            trial = {**ratios, group.name: max(0.0, ratios[group.name] - step / group.size)}
            result = attempt(trial)
            if result.cost > target_cost:
                break
            best, ratios = result, trial
    return best


def prune_channels_to_budget(
    model: nn.Module,
    example_input: Tensor,
    criterion: ImportanceCriterion,
    calibration: Calibration | None,
    cost: CostFunction,
    target_cost: float,
    *,
    allocation: str = "uniform",
    round_to: int | None = None,
    max_ratio: float = 0.95,
    min_units: int = 1,
) -> ChannelPruningResult:
    """The least pruning under ``allocation`` whose cost is at most ``target_cost`` (bisection).

    Scores are computed once, on ``model``. Raises ``ValueError`` when even ``max_ratio`` cannot meet the
    target (the message gives the cost reached).
    """
    allocate = get_allocation(allocation)
    scores = criterion.weight_scores(model, calibration)
    groups = channel_groups(model, example_input, scores)
    if not groups:
        raise ValueError("nothing prunable: the model has no channel group outside the classifier")

    def attempt(ratio: float) -> ChannelPruningResult:
        return attempt_ratios(allocate(groups, ratio, max_ratio, min_units))

    def attempt_ratios(ratios: dict[str, float]) -> ChannelPruningResult:
        result = prune_channels(model, example_input, scores, ratios, round_to=round_to, min_units=min_units)
        result.cost = float(cost(result.module))
        return result

    best = attempt(0.0)
    if best.cost <= target_cost:
        return best
    ceiling = attempt(max_ratio)
    if ceiling.cost > target_cost:
        raise ValueError(
            f"pruning budget cannot be met: at the largest channel ratio {max_ratio} the cost is "
            f"{ceiling.cost:.4g}, above the target {target_cost:.4g}"
        )
    best, low, high = ceiling, 0.0, max_ratio
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        result = attempt(middle)
        if result.cost <= target_cost:
            best, high = result, middle
        else:
            low = middle
    best = _top_up(best, groups, target_cost, attempt_ratios, round_to)
    logger.info(
        "channel pruning (%s): cost %.4g for target %.4g%s",
        allocation,
        best.cost,
        target_cost,
        f"; left dense: {', '.join(best.left_dense)}" if best.left_dense else "",
    )
    return best


def sensitivity_scan(
    model: nn.Module,
    example_input: Tensor,
    scores_by_name: dict[str, Tensor],
    groups: Sequence[ChannelGroup],
    ratios: Sequence[float],
    evaluate: Callable[[nn.Module], float],
    *,
    min_units: int = 1,
) -> dict[str, dict[float, float]]:
    """``{group: {ratio: metric}}``: each group pruned alone at each ratio, without fine-tuning.

    The sensitivity analysis of Li et al., 2017, "Pruning Filters for Efficient ConvNets", on dependency
    groups rather than single layers; ``evaluate`` gets the pruned copy in eval mode.
    """
    scan: dict[str, dict[float, float]] = {}
    for group in groups:
        scan[group.name] = {}
        for ratio in ratios:
            pruned = prune_channels(
                model, example_input, scores_by_name, {group.name: ratio}, min_units=min_units
            )
            scan[group.name][float(ratio)] = float(evaluate(pruned.module.eval()))
        logger.info("sensitivity of %s: %s", group.name, scan[group.name])
    return scan
