"""The ``distributed`` block of training, pruning fine-tuning and distillation (PyTorch DDP)."""

from __future__ import annotations

import os

from pydantic import Field, PositiveInt, model_validator

from prunegate.core.distributed import DistributedSettings
from prunegate.params.base import StrictParams

__all__ = ["DistributedParams"]


class DistributedParams(StrictParams):
    """``nproc_per_node`` processes on each of ``nnodes`` hosts train one model together (gloo, CPU).

    One process (the default) trains in the Kedro process itself. More than one host needs the same
    ``rdzv_endpoint`` (``host:port`` of the first host) and ``run_id`` on every host (README, "Scaling out").
    """

    nproc_per_node: PositiveInt = 1
    nnodes: PositiveInt = 1
    rdzv_endpoint: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-\[\]:]+:\d+$")
    run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]+$")

    @model_validator(mode="after")
    def _hosts_can_meet(self) -> DistributedParams:
        if self.nnodes > 1 and (self.rdzv_endpoint is None or self.run_id is None):
            raise ValueError(
                "nnodes > 1 needs rdzv_endpoint (host:port of the first host) and run_id, the same on "
                "every host"
            )
        cores = os.cpu_count() or 1
        if self.nproc_per_node > cores:
            raise ValueError(
                f"nproc_per_node {self.nproc_per_node} is more than this machine's {cores} CPU cores"
            )
        return self

    def settings(self) -> DistributedSettings:
        return DistributedSettings(
            nproc_per_node=self.nproc_per_node,
            nnodes=self.nnodes,
            rdzv_endpoint=self.rdzv_endpoint,
            run_id=self.run_id,
        )
