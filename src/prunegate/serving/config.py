"""Serving settings: ``conf/base/parameters_serving.yml`` (section ``serving``), validated once.

The file is ``PRUNEGATE_SERVING_CONFIG`` if set, else ``<project root>/conf/base/parameters_serving.yml``,
else the one in the working directory. The project root is ``PRUNEGATE_PROJECT_ROOT`` if set, else the
working directory; relative folders in the file (registry, monitoring) are taken from it. Inside a built
Bento the working directory is the Bento's ``src`` folder, which carries the file: setting only
``PRUNEGATE_PROJECT_ROOT`` there moves the logs and keeps the packaged settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError

from prunegate.config_problems import describe_problems

__all__ = [
    "BENTO_MODEL_ENV",
    "CONFIG_ENV",
    "MODEL_PATH_ENV",
    "ROOT_ENV",
    "ServingConfig",
    "ServingConfigError",
    "load_serving_config",
    "project_root",
    "validate_serving_section",
]

ROOT_ENV = "PRUNEGATE_PROJECT_ROOT"
CONFIG_ENV = "PRUNEGATE_SERVING_CONFIG"
MODEL_PATH_ENV = "PRUNEGATE_MODEL_PATH"  # serve this model file instead of the registry champion
BENTO_MODEL_ENV = "PRUNEGATE_BENTO_MODEL"  # the store tag `bentoml build` packages (set by packaging)
DEFAULT_CONFIG = Path("conf/base/parameters_serving.yml")
SECTION = "serving"
SECONDS_PER_DAY = 86400.0


class ServingConfigError(ValueError):
    """A serving config with a missing or unknown key or a bad value (each named in the message)."""


class ServingConfig(BaseModel):
    """The ``serving`` section; every key is required except ``runtime`` (see the YAML comments).

    Same rules as ``prunegate.params.StrictParams`` (unknown keys are errors, no string-to-number
    coercion) and the same one-line problems with a did-you-mean (:mod:`prunegate.config_problems`),
    restated here because importing ``prunegate.params`` pulls in pandas and scikit-learn, which the
    service does not otherwise need.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    host: str
    port: int = Field(ge=1, le=65535)  # a TCP port; larger ones would wrap silently
    max_batch_size: PositiveInt
    batch_max_latency_ms: PositiveInt
    reload_interval_s: PositiveFloat | PositiveInt
    registry_dir: str
    monitoring_dir: str
    log_predictions: bool
    timeout_s: PositiveInt
    max_concurrency: PositiveInt
    inference_threads: PositiveInt
    workers: PositiveInt
    dispatch: Literal["auto", "batched", "direct"]
    direct_below_ms: PositiveFloat | PositiveInt
    access_log: bool
    metrics: bool
    max_body_bytes: PositiveInt
    body_timeout_s: PositiveFloat | PositiveInt
    feedback_max_age_days: PositiveFloat | PositiveInt
    runtime: Literal["eager", "torchscript", "onnx"] | None = None

    def calls_directly(self, row_latency_ms: float) -> bool:
        """Whether ``/predict`` calls a model whose one-row prediction takes ``row_latency_ms`` directly.

        ``auto`` skips adaptive batching for models faster than ``direct_below_ms``: there the batching
        hop costs more than the model call it would share. An unmeasured (NaN) latency means batching.
        """
        if self.dispatch == "auto":
            return row_latency_ms < self.direct_below_ms
        return self.dispatch == "direct"

    @property
    def feedback_max_age_s(self) -> float:
        return self.feedback_max_age_days * SECONDS_PER_DAY

    def path(self, folder: str) -> Path:
        """``folder`` (``registry_dir``, ``monitoring_dir``) resolved against the project root."""
        return project_root() / folder


def project_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or Path.cwd()).resolve()


def _default_config() -> Path:
    candidates = [project_root() / DEFAULT_CONFIG, Path.cwd() / DEFAULT_CONFIG]
    return next((candidate for candidate in candidates if candidate.is_file()), candidates[0])


def load_serving_config(path: Path | None = None) -> ServingConfig:
    """Read and validate the serving settings.

    Raises:
        FileNotFoundError: the file does not exist.
        ServingConfigError: a missing or unknown key, or a bad value.
    """
    source = Path(path or os.environ.get(CONFIG_ENV) or _default_config())
    if not source.is_file():
        raise FileNotFoundError(f"serving config {source} not found (set {CONFIG_ENV} or {ROOT_ENV})")
    section = (yaml.safe_load(source.read_text()) or {}).get(SECTION)
    return validate_serving_section(section, str(source))


def validate_serving_section(section: object, source: str) -> ServingConfig:
    """``section`` (the ``serving`` mapping read from ``source``) as a validated config.

    Raises:
        ServingConfigError: not a mapping, or a missing or unknown key or a bad value (each named).
    """
    if not isinstance(section, dict):
        raise ServingConfigError(f"{source}: no '{SECTION}:' mapping")
    try:
        return ServingConfig.model_validate(section)
    except ValidationError as error:
        problems = describe_problems(ServingConfig, error.errors(), (SECTION,))
        listed = problems[0] if len(problems) == 1 else "\n" + "\n".join(f"  {line}" for line in problems)
        raise ServingConfigError(f"{source}: {listed}") from None
