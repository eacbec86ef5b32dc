"""Parameters of the distillation pipeline (``conf/base/parameters_distillation.yml``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from prunegate.core.training import TrainConfig
from prunegate.params.train_loop import TrainLoopParams, train_config_from

__all__ = ["DistillationParams"]


class DistillationParams(TrainLoopParams):
    """Hinton KD: ``alpha`` weighs the soft (teacher) loss against the hard-label loss."""

    section: ClassVar[str] = "distillation"

    teacher: Literal["dense", "pruned"]
    student_architecture: Literal["pruned", "params"]
    student_hidden: list[PositiveInt] | None = None
    temperature: float = Field(gt=0)
    alpha: float = Field(ge=0, le=1)
    epochs: PositiveInt
    warmup_epochs: int = Field(ge=0)
    compare_with_scratch: bool = True
    seed: int = Field(ge=0)

    @model_validator(mode="after")
    def _student_widths(self) -> DistillationParams:
        if self.student_architecture == "params" and not self.student_hidden:
            raise ValueError("student_architecture 'params' needs student_hidden, e.g. [32, 16]")
        return self

    def train_config(self, show_progress: bool) -> TrainConfig:
        return train_config_from(self, show_progress=show_progress)
