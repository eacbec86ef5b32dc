"""How every model's latency is measured (``conf/base/parameters_profiling.yml``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, PositiveInt

from prunegate.core.efficiency import ProfileSettings
from prunegate.params.base import StrictParams

__all__ = ["ProfilingParams"]


class ProfilingParams(StrictParams):
    """How latency is measured (``conf/base/parameters_profiling.yml``)."""

    section: ClassVar[str] = "profiling"

    latency_batches: list[PositiveInt] = Field(min_length=1)
    warmup: int = Field(ge=0)
    repeats: PositiveInt
    threads: PositiveInt

    def settings(self) -> ProfileSettings:
        return ProfileSettings(
            latency_batches=tuple(self.latency_batches),
            warmup=self.warmup,
            repeats=self.repeats,
            threads=self.threads,
        )
