"""Parameters of the pruning sweep (``pruning_sweep`` in ``conf/base/parameters_pruning.yml``).

Each method is a set of overrides of the ``pruning`` section; the merged result is validated like the
``pruning`` section itself, so a bad method fails before any work naming its position and key.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from prunegate.params.base import ConfigError, StrictParams, parse_params
from prunegate.params.pruning import PruningParams

__all__ = ["SweepMethod", "SweepParams", "expand_sweep"]


class SweepMethod(StrictParams):
    name: str = Field(min_length=1)
    overrides: dict[str, Any]


class SweepParams(StrictParams):
    methods: list[SweepMethod] = Field(min_length=1)
    reductions: list[float] = Field(min_length=1)


def expand_sweep(sweep: SweepParams, base: dict[str, Any]) -> list[tuple[str, PruningParams]]:
    """Every (method name, validated pruning params) pair of the sweep, methods x reductions."""
    names = [method.name for method in sweep.methods]
    if len(set(names)) != len(names):
        raise ConfigError("pruning_sweep.methods: method names must be unique")
    runs = []
    for index, method in enumerate(sweep.methods):
        for reduction in sweep.reductions:
            merged = {**base, **method.overrides, "reduction": reduction}
            runs.append((method.name, parse_params(PruningParams, merged, f"pruning_sweep.methods.{index}")))
    return runs
