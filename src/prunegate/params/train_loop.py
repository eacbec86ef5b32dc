"""The training loop's settings (:class:`~prunegate.core.training.TrainConfig`) from a parameters section."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel

from prunegate.core.training import TrainConfig

__all__ = ["train_config_from"]

_LOOP_SETTINGS = tuple(field.name for field in dataclasses.fields(TrainConfig))


def train_config_from(section: BaseModel, **given: Any) -> TrainConfig:
    """Every ``TrainConfig`` setting ``section`` has (``epochs``, ``device`` ...), then ``given`` over them;
    the loop's defaults for the rest."""
    values = {name: getattr(section, name) for name in _LOOP_SETTINGS if name in type(section).model_fields}
    return TrainConfig(**{**values, **given})
