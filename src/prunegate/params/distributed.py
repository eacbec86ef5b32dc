"""The ``distributed`` block of training, pruning fine-tuning and distillation (PyTorch DDP)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, ValidationInfo, model_validator

from prunegate.core.devices import check_device, collective_backend
from prunegate.core.distributed import DistributedSettings
from prunegate.params.base import StrictParams

__all__ = ["Device", "DistributedParams", "check_placement", "placement_validator"]

Device = Literal["cpu", "cuda", "auto"]


class DistributedParams(StrictParams):
    """``nproc_per_node`` processes on each of ``nnodes`` hosts train one model together.

    They train on the CPU over gloo, or with ``device: cuda`` (a sibling key) on one GPU each over NCCL.

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
        return self

    def settings(self, device: str = "cpu") -> DistributedSettings:
        """The launch settings for ranks training on ``device`` (it picks the gloo or NCCL backend)."""
        return DistributedSettings(
            nproc_per_node=self.nproc_per_node,
            nnodes=self.nnodes,
            rdzv_endpoint=self.rdzv_endpoint,
            run_id=self.run_id,
            backend=collective_backend(device),
        )


def check_placement(device: str, distributed: DistributedParams) -> None:
    """Refuse a ``device`` this machine cannot give every process of ``distributed`` (a GPU each on CUDA)."""
    check_device(device, processes=distributed.nproc_per_node)


def placement_validator(device: str, info: ValidationInfo) -> str:
    """A ``field_validator("device")`` body for a section whose ``distributed`` block comes before it."""
    distributed = info.data.get("distributed")
    check_placement(
        device, distributed if isinstance(distributed, DistributedParams) else DistributedParams()
    )
    return device
