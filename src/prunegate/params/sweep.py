"""Parameters of the pruning sweep (``pruning_sweep`` in ``conf/base/parameters_pruning.yml``).

Each method is a set of overrides of the ``pruning`` section; the merged result is validated like the
``pruning`` section itself, so a bad method fails before any work naming its position and key.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, PositiveInt, field_validator

from prunegate.fanout import FanoutSettings
from prunegate.params.base import ConfigError, StrictParams, parse_params
from prunegate.params.pruning import PruningParams

__all__ = ["FanoutParams", "SweepMethod", "SweepParams", "expand_sweep"]


class SweepMethod(StrictParams):
    name: str = Field(min_length=1)
    overrides: dict[str, Any]


class FanoutParams(StrictParams):
    """Where the sweep's cells run: ``workers`` local Dask worker processes, or the scheduler at
    ``address`` (also ``PRUNEGATE_DASK_ADDRESS``); one worker and no address: in the Kedro process."""

    workers: PositiveInt = 1
    address: str | None = Field(default=None, pattern=r"^(tcp|tls|ucx|inproc)://\S+$")

    def settings(self) -> FanoutSettings:
        return FanoutSettings(workers=self.workers, address=self.address)


class SweepParams(StrictParams):
    """The pruning sweep: methods x reductions x seeds (``pruning_sweep`` in parameters_pruning.yml)."""

    section: ClassVar[str] = "pruning_sweep"

    methods: list[SweepMethod] = Field(min_length=1)
    reductions: list[float] = Field(min_length=1)
    seeds: list[Annotated[int, Field(ge=0)]] = Field(default=[0], min_length=1)  # the pruning's seed
    fanout: FanoutParams = FanoutParams()

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError("seeds must be distinct")
        return seeds


def expand_sweep(sweep: SweepParams, base: dict[str, Any]) -> list[tuple[str, PruningParams]]:
    """Every (method name, validated pruning params) cell of the sweep: methods x reductions x seeds."""
    names = [method.name for method in sweep.methods]
    if len(set(names)) != len(names):
        raise ConfigError("pruning_sweep.methods: method names must be unique")
    runs = []
    for index, method in enumerate(sweep.methods):
        for reduction in sweep.reductions:
            for seed in sweep.seeds:
                merged = {**base, **method.overrides, "reduction": reduction, "seed": seed}
                section = f"pruning_sweep.methods.{index}"
                runs.append((method.name, parse_params(PruningParams, merged, section)))
    return runs
