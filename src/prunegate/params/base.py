"""Shared strict base model and the error that names the offending key."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ConfigError", "StrictParams", "parse_params"]

ParamsT = TypeVar("ParamsT", bound=BaseModel)


class ConfigError(ValueError):
    """A parameters file with an unknown key, a wrong type or an out-of-range value."""


class StrictParams(BaseModel):
    """Unknown keys are errors; ints are not silently made from strings or floats."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def parse_params(model: type[ParamsT], data: Any, section: str) -> ParamsT:
    """Validate ``data`` (the ``section`` of a parameters file) into ``model`` or raise ConfigError.

    The message names every bad key as ``section.key.sub`` with the reason, e.g.
    ``training.mlp.hidden.0: Input should be greater than 0``.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"parameters '{section}' must be a mapping, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            key = ".".join(str(part) for part in (section, *problem["loc"]))
            reason = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
            lines.append(f"  {key}: {reason} (got {problem.get('input')!r})")
        raise ConfigError(f"invalid parameters ({section}):\n" + "\n".join(lines)) from None
