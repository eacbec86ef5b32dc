"""What every section that runs the training loop shares: the optimiser's settings and where it runs.

:class:`TrainLoopParams` is the base of ``training``, ``pruning.finetune`` and ``distillation``;
:func:`train_config_from` turns any of them into the loop's :class:`~prunegate.core.training.TrainConfig`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, Field, PositiveInt, field_validator

from prunegate.core.training import TrainConfig
from prunegate.params.base import StrictParams
from prunegate.params.distributed import Device, DistributedParams, placement_validator

__all__ = ["TrainLoopParams", "train_config_from"]

_LOOP_SETTINGS = tuple(field.name for field in dataclasses.fields(TrainConfig))


class TrainLoopParams(StrictParams):
    """The loop's optimiser settings and placement (``distributed`` before ``device``, which checks both)."""

    batch_size: PositiveInt
    learning_rate: float = Field(gt=0, lt=1)
    weight_decay: float = Field(ge=0)
    patience: PositiveInt
    distributed: DistributedParams = DistributedParams()
    device: Device = "cpu"  # cpu | cuda (one GPU per process) | auto

    _placement = field_validator("device")(placement_validator)


def train_config_from(section: BaseModel, **given: Any) -> TrainConfig:
    """Every ``TrainConfig`` setting ``section`` has (``epochs``, ``device`` ...), then ``given`` over them;
    the loop's defaults for the rest."""
    values = {name: getattr(section, name) for name in _LOOP_SETTINGS if name in type(section).model_fields}
    return TrainConfig(**{**values, **given})
