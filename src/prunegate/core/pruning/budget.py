"""What a structured-pruning budget costs: MACs, parameters or measured latency of an architecture.

A cost model maps per-layer pruning ratios to the cost of the architecture those ratios produce
(:func:`~prunegate.core.pruning.structured.spec_after_ratios`), so allocation can search ratios
against any of the three budgets with the same code.

Latency-aware mode (after Yang et al., 2017, "Designing Energy-Efficient Convolutional Neural
Networks using Energy-Aware Pruning", which charges each layer its measured cost instead of its
FLOPs): the cost of a candidate is its *measured* forward time on this CPU, a freshly built model of
exactly those widths timed at a fixed batch size, one thread, after warm-up, median of repeats.
Weights do not change dense kernels' speed, so an untrained model of the same shape times the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from prunegate.core.models import ModelSpec, build_model, spec_to_dict
from prunegate.core.profiling import count_macs, count_params, measure_latency
from prunegate.core.pruning.structured import prunable_unit_counts, spec_after_ratios

__all__ = ["BUDGETS", "CostModel", "LatencyProbe", "cost_model_for", "uniform_ratios"]

CostModel = Callable[[dict[str, float]], float]
Budget = Literal["macs", "params", "latency"]
BUDGETS: tuple[str, ...] = ("macs", "params", "latency")

_BISECTION_STEPS = 40


@dataclass(frozen=True)
class LatencyProbe:
    """How a candidate architecture is timed in latency-aware mode."""

    batch_size: int = 256
    warmup: int = 5
    repeats: int = 20
    threads: int = 1


def _architecture_cost(budget: Budget, input_shape: Sequence[int], probe: LatencyProbe):
    def measure(spec: ModelSpec) -> float:
        model = build_model(spec).eval()
        if budget == "macs":
            return float(count_macs(model, input_shape))
        if budget == "params":
            return float(count_params(model))
        timing = measure_latency(
            model,
            input_shape,
            probe.batch_size,
            warmup=probe.warmup,
            repeats=probe.repeats,
            threads=probe.threads,
        )
        return timing["p50_ms"]

    return measure


def cost_model_for(
    budget: str,
    spec: ModelSpec,
    input_shape: Sequence[int],
    *,
    min_units: int = 1,
    probe: LatencyProbe | None = None,
) -> CostModel:
    """Cost of ``spec`` pruned at given ratios, in the budget's unit; cached per resulting architecture."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; known budgets: {list(BUDGETS)}")
    measure = _architecture_cost(budget, input_shape, probe or LatencyProbe())  # type: ignore[arg-type]
    cache: dict[str, float] = {}

    def cost(ratios: dict[str, float]) -> float:
        candidate = spec_after_ratios(spec, ratios, min_units)
        key = repr(sorted(spec_to_dict(candidate).items()))
        if key not in cache:
            cache[key] = measure(candidate)
        return cache[key]

    return cost


def uniform_ratios(
    spec: ModelSpec, cost: CostModel, target_cost: float, *, max_ratio: float = 0.99
) -> dict[str, float]:
    """The smallest single ratio, applied to every prunable layer, whose cost is within ``target_cost``.

    Raises:
        ValueError: if even ``max_ratio`` on every layer costs more than the target.
    """
    layers = list(prunable_unit_counts(spec))
    if cost(dict.fromkeys(layers, max_ratio)) > target_cost:
        raise ValueError(
            f"budget {target_cost:g} cannot be met by uniform pruning: at ratio {max_ratio} on every layer "
            f"the cost is {cost(dict.fromkeys(layers, max_ratio)):g}"
        )
    low, high = 0.0, max_ratio
    if cost(dict.fromkeys(layers, low)) <= target_cost:
        return dict.fromkeys(layers, 0.0)
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if cost(dict.fromkeys(layers, middle)) <= target_cost:
            high = middle
        else:
            low = middle
    return dict.fromkeys(layers, high)
