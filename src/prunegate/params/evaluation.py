"""Parameters of the evaluation and gate pipelines (``conf/base/parameters_evaluation.yml``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, field_validator

from prunegate.params.base import StrictParams

__all__ = ["CrossValidationParams", "EvaluationParams"]

MODEL_NAMES = ("dense", "pruned", "distilled")


class CrossValidationParams(StrictParams):
    """Optional k-fold cross-validation of the dense training recipe (for small data)."""

    enabled: bool
    folds: int = Field(ge=2)


class EvaluationParams(StrictParams):
    """What is measured on every model, and which model is the candidate for shipping."""

    section: ClassVar[str] = "evaluation"

    candidate: Literal["dense", "pruned", "distilled"]
    quantize_candidate: bool = False
    ece_bins: PositiveInt
    noise_sigmas: list[float] = Field(min_length=1)
    fgsm_epsilons: list[float] = Field(min_length=1)
    perturbation_units: Literal["raw", "feature_std"] = "raw"
    feature_range: list[float] | Literal["data"] | None = None
    slice_columns: list[str] = Field(default_factory=list)
    cross_validation: CrossValidationParams
    seed: int = Field(ge=0)

    @field_validator("feature_range")
    @classmethod
    def _low_high(cls, value: list[float] | str | None) -> list[float] | str | None:
        if isinstance(value, list) and (len(value) != 2 or not value[0] < value[1]):
            raise ValueError(
                "must be [low, high] with low < high, 'data' (each feature's observed range) or null"
            )
        return value

    @field_validator("noise_sigmas", "fgsm_epsilons")
    @classmethod
    def _non_negative(cls, values: list[float]) -> list[float]:
        if any(value < 0 for value in values):
            raise ValueError("must be >= 0")
        return values

    @property
    def candidate_name(self) -> str:
        return f"{self.candidate}_int8" if self.quantize_candidate else self.candidate
