"""Shared strict base model and the error that names the offending key.

A node declares the model of its parameters section as the type of its ``params:<section>`` input, and
Kedro (1.7, "Parameter validation") turns the section into that model before any node runs: the path from
YAML to use is one hop. A bad section raises :class:`ConfigError` naming every bad key as
``section.key.sub``; Kedro gathers these into one ``ParameterValidationError`` and the project CLI shows it
without a traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from prunegate.config_problems import describe_problems

__all__ = ["ConfigError", "StrictParams", "parse_params"]

ParamsT = TypeVar("ParamsT", bound=BaseModel)


class ConfigError(ValueError):
    """A parameters file with an unknown key, a wrong type or an out-of-range value."""


def _validated(model: type[ParamsT], data: Any, section: str) -> ParamsT:
    if isinstance(data, model):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"parameters '{section}' must be a mapping, got {type(data).__name__}")
    try:
        return model.__pydantic_validator__.validate_python(data)
    except ValidationError as error:
        lines = [f"  {line}" for line in describe_problems(model, error.errors(), (section,))]
        raise ConfigError(f"invalid parameters ({section}):\n" + "\n".join(lines)) from None


class StrictParams(BaseModel):
    """Unknown keys are errors; ints are not silently made from strings or floats.

    ``section`` is the top-level key of a whole parameters section (``training``): for such a model,
    ``model_validate`` (what Kedro calls) raises :class:`ConfigError` naming keys from it.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    section: ClassVar[str] = ""

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any):  # type: ignore[override]
        if not cls.section:  # a block inside a section, or a model with its own error wording
            return super().model_validate(obj, **kwargs)
        return _validated(cls, obj, cls.section)


def parse_params(model: type[ParamsT], data: Any, section: str) -> ParamsT:
    """Validate ``data`` (the ``section`` of a parameters file) into ``model`` or raise ConfigError.

    For code outside a Kedro run (the monitoring command, tests). The message names every bad key as
    ``section.key.sub`` with the reason, e.g. ``training.mlp.hidden.0: Input should be greater than 0``.
    """
    return _validated(model, data, section)
