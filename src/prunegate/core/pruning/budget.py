"""What a structured-pruning budget costs: MACs, parameters, measured latency or estimated energy of a
pruned module.

A cost function maps a (pruned) module to its cost in the budget's unit, so allocation can search
channel ratios against any of the three budgets with the same code.

Latency-aware mode (after Yang et al., 2017, "Designing Energy-Efficient Convolutional Neural
Networks using Energy-Aware Pruning", which charges each layer its measured cost instead of its
FLOPs): the cost of a candidate is its *measured* forward time on this CPU, at a fixed batch size, one
thread, after warm-up, median of repeats.

Energy-aware mode (Yang et al., 2017, as above): the cost is the estimated energy of one inference from
:mod:`prunegate.core.energy` (MACs and memory traffic weighted by per-operation energies), so pruning
goes where the joules are: to the layers with many weights read for few MACs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from prunegate.core.energy import estimate_energy
from prunegate.core.profiling import count_macs, count_params, median_model_latency_ms

__all__ = ["BUDGETS", "CostFunction", "LatencyProbe", "cost_unit", "module_cost"]

CostFunction = Callable[[nn.Module], float]
BUDGETS: tuple[str, ...] = ("macs", "params", "latency", "energy")
_UNITS: dict[str, str] = {"macs": "MACs", "params": "parameters", "energy": "J per inference"}


@dataclass(frozen=True)
class LatencyProbe:
    """How a candidate architecture is timed in latency-aware mode."""

    batch_size: int = 256
    min_run_time_s: float = 0.02  # per candidate: the Timer's median over blocks of calls (see profiling)
    threads: int = 1


def cost_unit(budget: str, probe: LatencyProbe | None = None) -> str:
    """The unit of :func:`module_cost`'s values for ``budget``, as reports and messages say it."""
    if budget == "latency":
        return f"ms per batch of {(probe or LatencyProbe()).batch_size}"
    return _UNITS[budget]


def module_cost(budget: str, in_features: int, probe: LatencyProbe | None = None) -> CostFunction:
    """The cost function of ``budget`` for models that take ``in_features`` values per row."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; known budgets: {list(BUDGETS)}")
    if budget == "macs":
        return lambda module: float(count_macs(module, (in_features,)))
    if budget == "params":
        return lambda module: float(count_params(module))
    if budget == "energy":
        return lambda module: estimate_energy(module, (in_features,)).total_joules
    timing = probe or LatencyProbe()

    def latency(module: nn.Module) -> float:
        return median_model_latency_ms(
            module,
            (in_features,),
            timing.batch_size,
            min_run_time_s=timing.min_run_time_s,
            threads=timing.threads,
        )

    return latency
