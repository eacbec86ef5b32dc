"""Typed, strict gate checks: the ``gate`` parameters section (``conf/base/parameters_gate.yml``).

The thresholds mirror TFX Model Analysis ``tfma.MetricThreshold`` as used by the TFX Evaluator: a
``GenericValueThreshold`` (``lower_bound`` / ``upper_bound``, inclusive) on the candidate alone and a
``GenericChangeThreshold`` against a baseline in the metric's ``direction`` (TFMA's
``HIGHER_IS_BETTER`` / ``LOWER_IS_BETTER``). Instead of TFMA's signed ``absolute`` / ``relative`` change
values, tolerances here are non-negative "may be worse by at most" amounts, plus a minimum improvement
ratio for compression targets (e.g. "at least 4x fewer MACs").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from prunegate.config_problems import describe_problems
from prunegate.gate.metric_names import check_metric_name
from prunegate.params.base import ConfigError, StrictParams

__all__ = [
    "ALL_SLICES",
    "CHANGE_THRESHOLDS",
    "VALUE_THRESHOLDS",
    "GateConfig",
    "MetricCheck",
    "load_gate_config",
    "parse_gate_config",
]

SECTION = "gate"  # the parameters section: conf/base/parameters_gate.yml, params:gate
ALL_SLICES = "*"
"""``slice`` value meaning: every slice present in the candidate or the baseline."""

VALUE_THRESHOLDS = ("lower_bound", "upper_bound")
PAIRED_METRICS = ("accuracy",)  # prefixes: accuracy, accuracy_noise_<sigma>, accuracy_fgsm_<epsilon>
CHANGE_THRESHOLDS = ("max_worsening_abs", "max_worsening_rel", "min_improvement_ratio")


class MetricCheck(StrictParams):
    """One threshold check on one metric, overall or on a slice.

    Attributes:
        metric: Key in the flat metrics dict (e.g. ``accuracy``, ``macs``, ``latency_ms_p50_b256``).
        direction: Which way is better: ``higher`` (accuracy) or ``lower`` (ece, macs, latency).
        slice: A slice name from the metrics' ``slices`` mapping, ``"*"`` for every slice present in
            the candidate or the baseline, or None for the overall metric.
        lower_bound: The candidate must be >= this (TFMA ``GenericValueThreshold.lower_bound``).
        upper_bound: The candidate must be <= this (TFMA ``GenericValueThreshold.upper_bound``).
        max_worsening_abs: The candidate may be worse than the baseline by at most this, in the metric's
            units (accuracy 0.005 = 0.5 percentage points).
        max_worsening_rel: The candidate may be worse by at most this fraction of ``|baseline|``.
        min_improvement_ratio: The candidate must be at least this many times better: baseline /
            candidate when lower is better, candidate / baseline when higher is better.
        confidence: Decide ``max_worsening_abs`` on the paired test rows (:mod:`prunegate.gate.paired`)
            with an interval at this level (e.g. 0.95) instead of comparing the two point values. Only
            for accuracy-type metrics (``accuracy``, ``accuracy_noise_*``, ``accuracy_fgsm_*``, a
            slice's ``accuracy``), whose per-row outcomes the evaluation records.
        when_undecided: With ``confidence``, what an interval that straddles the allowed drop means:
            ``point_estimate`` (the observed drop decides, as without ``confidence``), ``fail``
            (non-inferiority: pass only when shown within) or ``pass`` (fail only when shown worse).
        description: Free text shown to people; not used by the gate.
    """

    metric: str = Field(min_length=1)
    direction: Literal["higher", "lower"]
    slice: str | None = Field(default=None, min_length=1)
    lower_bound: float | None = Field(default=None, allow_inf_nan=False)
    upper_bound: float | None = Field(default=None, allow_inf_nan=False)
    max_worsening_abs: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    max_worsening_rel: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    min_improvement_ratio: float | None = Field(default=None, ge=1, allow_inf_nan=False)
    confidence: float | None = Field(default=None, gt=0.5, lt=1, allow_inf_nan=False)
    when_undecided: Literal["point_estimate", "fail", "pass"] = "point_estimate"
    description: str | None = None

    _known_metric = field_validator("metric")(classmethod(lambda cls, name: check_metric_name(name)))

    @model_validator(mode="after")
    def _has_a_consistent_threshold(self) -> MetricCheck:
        if all(getattr(self, name) is None for name in (*VALUE_THRESHOLDS, *CHANGE_THRESHOLDS)):
            names = ", ".join((*VALUE_THRESHOLDS, *CHANGE_THRESHOLDS))
            raise ValueError(f"check on '{self.metric}' sets no threshold; set at least one of {names}")
        if self.confidence is not None:
            if self.max_worsening_abs is None:
                raise ValueError(
                    f"confidence on '{self.metric}' needs max_worsening_abs (the drop it decides)"
                )
            if not self.metric.startswith(PAIRED_METRICS):
                known = ", ".join(f"{prefix}*" for prefix in PAIRED_METRICS)
                raise ValueError(
                    f"confidence works on accuracy-type metrics ({known}), whose per-row outcomes are "
                    f"recorded; '{self.metric}' is not one"
                )
        low, high = self.lower_bound, self.upper_bound
        if low is not None and high is not None and low > high:
            raise ValueError(f"lower_bound {self.lower_bound:g} is above upper_bound {self.upper_bound:g}")
        return self

    @property
    def has_change_threshold(self) -> bool:
        """Whether the check compares against a baseline (and so needs one to be meaningful)."""
        return any(getattr(self, name) is not None for name in CHANGE_THRESHOLDS)


class GateConfig(StrictParams):
    """The ``gate`` parameters section (``conf/base/parameters_gate.yml``): the two gates.

    Both lists are required (write ``[]`` for none) so a typo cannot disable a gate. As a parameters
    section it is validated with every other section before any stage runs (a typo cannot reach the gate
    stage after DVC has removed the last good outputs), and DVC sees it (``dvc params diff``,
    ``dvc exp run -S``).

    Attributes:
        compression: Checks of the shipped (compressed) model against the dense model of the same run.
        regression: Checks of the candidate against the current champion.
    """

    section: ClassVar[str] = SECTION

    compression: list[MetricCheck]
    regression: list[MetricCheck]


def parse_gate_config(data: Any, source: str = SECTION) -> GateConfig:
    """Validate an already-loaded ``gate`` section into :class:`GateConfig`.

    Args:
        data: The section's mapping (the parsed YAML under ``gate:``, or a Kedro ``params:gate``).
        source: Where ``data`` came from (a file path or a params key), named in errors.

    Raises:
        ConfigError: ``data`` is not a mapping, or a key is unknown, missing or out of range; each
            problem is named by its key path, e.g. ``gate.regression.2.max_worsening_abs``.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"gates config {source} must be a mapping with 'compression' and 'regression' lists, "
            f"got {type(data).__name__}"
        )
    try:
        return GateConfig.__pydantic_validator__.validate_python(data)
    except ValidationError as error:
        lines = [f"  {line}" for line in describe_problems(GateConfig, error.errors(), (SECTION,))]
        raise ConfigError(f"invalid gates config {source}:\n" + "\n".join(lines)) from None


def load_gate_config(path: str | Path) -> GateConfig:
    """Read and validate the ``gate`` section of a parameters file (``conf/base/parameters_gate.yml``).

    Raises:
        ConfigError: The file cannot be read, is not YAML, has no ``gate:`` mapping, or fails validation;
            the message names the file and the key path.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read gates file {path}: {error.strerror or error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"gates file {path} is not valid YAML: {error}") from None
    if not isinstance(data, dict) or SECTION not in data:
        raise ConfigError(f"gates file {path} must be a mapping with a '{SECTION}:' section")
    return parse_gate_config(data[SECTION], source=str(path))
