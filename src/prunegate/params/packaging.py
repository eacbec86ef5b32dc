"""Parameters of the packaging pipeline (``conf/base/parameters_packaging.yml``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, PositiveInt

from prunegate.params.base import StrictParams

__all__ = ["ModelCardParams", "PackagingParams"]


class ModelCardParams(StrictParams):
    """What only a person can say about the model: what it is for and where it must not be used."""

    intended_use: str = Field(min_length=1)
    limitations: str = Field(min_length=1)


class PackagingParams(StrictParams):
    """How the serving runtime is chosen and whether a Bento is built."""

    section: ClassVar[str] = "packaging"

    runtime_batch_sizes: list[PositiveInt] = Field(min_length=1)
    runtime_timing_s: float = Field(gt=0, le=60)
    parity_tolerance: float = Field(gt=0)
    static_int8: bool = True
    int8_calibration_rows: PositiveInt = 512
    int8_max_accuracy_drop: float = Field(default=0.005, ge=0, le=1)
    build_bento: bool
    bentofile: str = Field(min_length=1)
    model_card: ModelCardParams
