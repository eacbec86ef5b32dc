"""Allocation of per-group pruning ratios under a cost budget, from a sensitivity scan.

The scan (:func:`prunegate.core.pruning.channel_pruning.sensitivity_scan`) prunes one dependency group
at a time at each ratio, without fine-tuning, and evaluates the result, as in the sensitivity analysis of
Li et al. 2017, "Pruning Filters for Efficient ConvNets" (ICLR), which prunes sensitive layers less. The
allocation then picks per-group ratios from the scanned grid that meet a cost
budget with the least predicted loss (the sum of the per-layer drops, assuming they add up), greedily by
marginal loss per unit of cost saved. The cost is whatever the caller measures — MACs, parameters, or
measured latency/energy — in the spirit of Yang et al. 2017, "Designing Energy-Efficient Convolutional
Neural Networks using Energy-aware Pruning" (CVPR), which spends the pruning where the cost is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "DEFAULT_SCAN_RATIOS",
    "CostModel",
    "allocate_ratios",
    "allocation_rows",
    "linear_cost_model",
]

logger = logging.getLogger(__name__)

DEFAULT_SCAN_RATIOS: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
CostModel = Callable[[dict[str, float]], float]
Scan = Mapping[str, Mapping[float, float]]


def linear_cost_model(layer_costs: Mapping[str, float]) -> CostModel:
    """Cost ``sum(layer_costs[l] * (1 - ratio[l]))``; entries never given a ratio are fixed costs.

    An approximation: pruning a layer's outputs also shrinks the next layer's inputs, which an exact
    model (the pruned module's measured cost) accounts for.
    """
    costs = dict(layer_costs)

    def cost(ratios: dict[str, float]) -> float:
        return float(sum(value * (1.0 - ratios.get(name, 0.0)) for name, value in costs.items()))

    return cost


def allocate_ratios(
    scan: Scan,
    baseline_metric: float,
    layer_costs: Mapping[str, float],
    cost_of: CostModel | None,
    target_cost: float,
    ratios: Sequence[float] | None = None,
    *,
    higher_is_better: bool = True,
) -> dict[str, float]:
    """Per-layer ratios from the grid whose total ``cost_of`` is at most ``target_cost``.

    Greedy: from no pruning, repeatedly take the move (raise one layer's ratio to any larger grid value)
    with the least added predicted loss per unit of cost saved, until the budget holds; then lower any
    ratio whose reduction keeps the budget and loses less. Ties prefer the layer with the larger
    ``layer_costs`` entry (its dense cost). ``cost_of=None`` uses :func:`linear_cost_model(layer_costs)`.

    Raises:
        ValueError: if the budget is not met even with every layer at the largest ratio, or if the
            scan, grid or costs are inconsistent.
    """
    layers = list(scan)
    grid = _ratio_grid(scan, ratios)
    missing = [name for name in layers if name not in layer_costs]
    if missing:
        raise ValueError(f"layer_costs has no entry for scanned layer(s) {missing}")
    sign = 1.0 if higher_is_better else -1.0

    def drop(layer: str, ratio: float) -> float:
        # a scanned "improvement" from pruning alone is noise on a small validation set: count it as no loss
        return 0.0 if ratio == 0.0 else max(0.0, sign * (baseline_metric - scan[layer][ratio]))

    cost = _cached(cost_of if cost_of is not None else linear_cost_model(layer_costs))
    largest = dict.fromkeys(layers, grid[-1])
    if cost(largest) > target_cost:
        raise ValueError(
            f"cost budget {target_cost:g} cannot be met: cost with every layer at the largest ratio "
            f"{grid[-1]:g} is {cost(largest):g} (dense: {cost(dict.fromkeys(layers, 0.0)):g})"
        )
    current = dict.fromkeys(layers, 0.0)
    while cost(current) > target_cost:
        moves = []
        for layer in layers:
            for ratio in (r for r in grid if r > current[layer]):
                candidate = {**current, layer: ratio}
                saved = cost(current) - cost(candidate)
                if saved > 0:
                    added = drop(layer, ratio) - drop(layer, current[layer])
                    moves.append((added / saved, -layer_costs[layer], ratio, layer))
        if not moves:
            raise ValueError(f"cost budget {target_cost:g} cannot be met: no move lowers the cost further")
        _, _, ratio, layer = min(moves)
        current[layer] = ratio
    current = _give_back(current, grid, drop, cost, target_cost)
    logger.info("allocated ratios %s at cost %g (budget %g)", current, cost(current), target_cost)
    return current


def allocation_rows(
    allocation: Mapping[str, float],
    scan: Scan | None = None,
    baseline_metric: float | None = None,
    layer_costs: Mapping[str, float] | None = None,
    *,
    higher_is_better: bool = True,
) -> list[dict[str, str]]:
    """One row per layer, as text: its ratio, the predicted drop (with a scan) and its dense cost."""
    show_drop = scan is not None and baseline_metric is not None
    sign = 1.0 if higher_is_better else -1.0
    rows = []
    for layer, ratio in allocation.items():
        row = {"layer": layer, "ratio": f"{ratio:g}"}
        if show_drop:
            predicted = 0.0 if ratio == 0.0 else sign * (baseline_metric - scan[layer][ratio])
            row["predicted drop"] = f"{predicted:.4g}"
        if layer_costs:
            row["cost"] = f"{layer_costs[layer]:g}"
        rows.append(row)
    return rows


def _ratio_grid(scan: Scan, ratios: Sequence[float] | None) -> list[float]:
    if not scan:
        raise ValueError("the sensitivity scan is empty")
    chosen = (
        sorted(set(ratios))
        if ratios is not None
        else sorted(set.intersection(*(set(r) for r in scan.values())))
    )
    for layer, metrics in scan.items():
        absent = [ratio for ratio in chosen if ratio != 0.0 and ratio not in metrics]
        if absent:
            raise ValueError(f"ratio(s) {absent} were not scanned for layer '{layer}'")
    if not chosen or any(not 0.0 <= ratio <= 1.0 for ratio in chosen):
        raise ValueError(f"ratios must be a non-empty set in [0, 1], got {chosen}")
    return [0.0, *[ratio for ratio in chosen if ratio != 0.0]]


def _give_back(
    current: dict[str, float],
    grid: list[float],
    drop: Callable[[str, float], float],
    cost: CostModel,
    target_cost: float,
) -> dict[str, float]:
    """Lower ratios the greedy overshot on, while the budget still holds and the predicted loss does not rise.

    Among moves that lose nothing, the one that spends the most of the remaining budget wins, so the
    allocation ends close to its budget instead of pruning more than asked (each move lowers a ratio on a
    finite grid, so this terminates).
    """
    while True:
        best: tuple[float, float, str, float] | None = None
        for layer, ratio in current.items():
            for lower in (r for r in grid if r < ratio):
                candidate = {**current, layer: lower}
                gain = drop(layer, ratio) - drop(layer, lower)
                spent = cost(candidate)
                if gain >= 0 and spent <= target_cost and (best is None or (gain, spent) > best[:2]):
                    best = (gain, spent, layer, lower)
        if best is None:
            return current
        current = {**current, best[2]: best[3]}


def _cached(cost: CostModel) -> CostModel:
    """Memoise a cost model per allocation (exact models rebuild a network per call)."""
    memo: dict[tuple[tuple[str, float], ...], float] = {}

    def cached(ratios: dict[str, float]) -> float:
        key = tuple(sorted(ratios.items()))
        if key not in memo:
            memo[key] = float(cost(ratios))
        return memo[key]

    return cached
