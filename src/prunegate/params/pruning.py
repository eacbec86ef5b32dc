"""Parameters of the pruning pipeline (``conf/base/parameters_pruning.yml``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, ValidationInfo, field_validator, model_validator

from prunegate.core.distillation import SoftTargets
from prunegate.core.pruning.budget import BUDGETS, LatencyProbe
from prunegate.core.pruning.criteria import get_criterion, prunes_at_initialisation
from prunegate.core.pruning.scan_measures import get_scan_measure
from prunegate.core.pruning.schedules import get_schedule
from prunegate.core.pruning.structured_recipe import StructuredRecipe
from prunegate.core.pruning.unstructured_recipe import UnstructuredRecipe
from prunegate.core.training import TrainConfig
from prunegate.params.base import StrictParams
from prunegate.params.train_loop import TrainLoopParams, train_config_from

__all__ = ["FinetuneParams", "PruningParams"]

_LOOKUPS = {"criterion": get_criterion, "scan_measure": get_scan_measure, "schedule": get_schedule}


class FinetuneParams(TrainLoopParams):
    """Fine-tuning after pruning; the epochs are the total over all pruning steps (0: no fine-tuning)."""

    epochs: int = Field(ge=0)
    distillation: Literal["none", "dense"] = "none"
    temperature: float = Field(4.0, gt=0)
    alpha: float = Field(0.7, ge=0, le=1)

    def soft_targets(self) -> SoftTargets | None:
        """The dense model's soft targets as a second loss (``distillation: dense``), or labels only."""
        if self.distillation == "none":
            return None
        return SoftTargets(temperature=self.temperature, alpha=self.alpha)


class PruningParams(StrictParams):
    """One pruning method at one budget. ``reduction`` is the fraction removed, in [0, 1)."""

    section: ClassVar[str] = "pruning"

    granularity: Literal["structured", "unstructured"]
    criterion: str
    budget: Literal["sparsity", "macs", "params", "latency", "energy"]
    reduction: float = Field(ge=0, lt=1)
    scope: Literal["global", "layer"]
    allocation: Literal["uniform", "global", "sensitivity"]
    scan_ratios: list[float] = Field(min_length=1)
    scan_measure: str = "loss"
    schedule: str
    steps: PositiveInt
    min_units: PositiveInt
    round_to: PositiveInt | None = None
    calibration_rows: PositiveInt
    latency_batch_size: PositiveInt
    finetune: FinetuneParams
    seed: int = Field(ge=0)

    @field_validator("criterion", "scan_measure", "schedule")
    @classmethod
    def _registered_name(cls, name: str, info: ValidationInfo) -> str:
        _LOOKUPS[info.field_name](name)  # an unknown name raises ValueError listing the known ones
        return name

    @field_validator("scan_ratios")
    @classmethod
    def _ratios_in_range(cls, ratios: list[float]) -> list[float]:
        if any(not 0 < ratio < 1 for ratio in ratios) or sorted(set(ratios)) != ratios:
            raise ValueError("scan_ratios must be increasing, distinct and inside (0, 1)")
        return ratios

    @model_validator(mode="after")
    def _budget_matches_granularity(self) -> PruningParams:
        if self.granularity == "unstructured" and self.budget != "sparsity":
            raise ValueError(f"unstructured pruning takes budget 'sparsity', got {self.budget!r}")
        at_init = prunes_at_initialisation(self.criterion)
        if at_init and self.granularity == "structured" and self.allocation == "sensitivity":
            raise ValueError(
                f"allocation 'sensitivity' scans a trained model, but criterion {self.criterion!r} prunes "
                f"at initialisation: use allocation 'uniform' with {self.criterion}"
            )
        if self.granularity == "structured" and self.budget not in BUDGETS:
            raise ValueError(f"structured pruning takes a budget in {list(BUDGETS)}, got {self.budget!r}")
        return self

    def finetune_config(self, show_progress: bool) -> TrainConfig:
        return train_config_from(self.finetune, seed=self.seed, show_progress=show_progress)

    def structured_recipe(self, show_progress: bool) -> StructuredRecipe:
        return StructuredRecipe(
            criterion=self.criterion,
            budget=self.budget,
            reduction=self.reduction,
            allocation=self.allocation,
            schedule=self.schedule,
            steps=self.steps,
            scan_ratios=tuple(self.scan_ratios),
            min_units=self.min_units,
            round_to=self.round_to,
            finetune=self.finetune_config(show_progress),
            latency_probe=LatencyProbe(batch_size=self.latency_batch_size),
            scan_measure=self.scan_measure,
            soft_targets=self.finetune.soft_targets(),
        )

    def unstructured_recipe(self, show_progress: bool) -> UnstructuredRecipe:
        return UnstructuredRecipe(
            criterion=self.criterion,
            sparsity=self.reduction,
            scope=self.scope,
            schedule=self.schedule,
            steps=self.steps,
            finetune=self.finetune_config(show_progress),
            soft_targets=self.finetune.soft_targets(),
        )
