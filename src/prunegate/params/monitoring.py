"""Parameters of the monitoring pipeline (``conf/base/parameters_monitoring.yml``)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, PositiveInt, model_validator

from prunegate.monitoring.policy import MonitoringPolicy
from prunegate.params.base import StrictParams

__all__ = ["MonitoringParams"]


class MonitoringParams(StrictParams):
    """Where the service logs, which window is checked, and the thresholds of the decision."""

    section: ClassVar[str] = "monitoring"

    predictions_dir: str = Field(min_length=1)
    feedback_path: str = Field(min_length=1)
    window_rows: PositiveInt | None
    window_minutes: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None
    drift_share_threshold: float = Field(gt=0, le=1)
    drift_sample_rows: Annotated[int, Field(ge=1000)] | None = 20_000
    min_rows: PositiveInt
    accuracy_tolerance: float = Field(ge=0, le=1)
    min_labelled_rows: PositiveInt

    @model_validator(mode="after")
    def _reachable_window(self) -> MonitoringParams:
        if self.window_rows is None and self.window_minutes is None:
            raise ValueError("set window_rows and/or window_minutes: the window must be bounded")
        if self.window_rows is not None and self.window_rows < self.min_rows:
            raise ValueError(
                f"window_rows {self.window_rows} < min_rows {self.min_rows}: no window could ever be checked"
            )
        if self.window_rows is not None and self.window_rows < self.min_labelled_rows:
            raise ValueError(
                f"window_rows {self.window_rows} < min_labelled_rows {self.min_labelled_rows}: "
                "the rollback check could never run"
            )
        return self

    def policy(self) -> MonitoringPolicy:
        """The decision thresholds, as the pure policy takes them."""
        return MonitoringPolicy(
            drift_share_threshold=self.drift_share_threshold,
            min_rows=self.min_rows,
            accuracy_tolerance=self.accuracy_tolerance,
            min_labelled_rows=self.min_labelled_rows,
        )
