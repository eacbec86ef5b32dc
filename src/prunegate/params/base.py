"""Shared strict base model and the error that names the offending key.

A node declares the model of its parameters section as the type of its ``params:<section>`` input, and
Kedro (1.7, "Parameter validation") turns the section into that model before any node runs: the path from
YAML to use is one hop. A bad section raises :class:`ConfigError` naming every bad key as
``section.key.sub``; Kedro gathers these into one ``ParameterValidationError`` and the project CLI shows it
without a traceback.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ConfigError", "StrictParams", "describe_problem", "parse_params"]

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
        lines = [f"  {describe_problem(model, problem, (section,))}" for problem in error.errors()]
        raise ConfigError(f"invalid parameters ({section}):\n" + "\n".join(lines)) from None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _known_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys the (nested) model at ``path`` accepts; empty where the path leaves the models."""
    current: Any = model
    for part in path:
        if isinstance(part, int) and typing.get_origin(current) in (list, tuple):
            current = typing.get_args(current)[0]  # an item of a list of models
        elif _is_model(current) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return []
    return list(current.model_fields) if _is_model(current) else []


def describe_problem(model: type[BaseModel], problem: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """One line for one pydantic problem: the key (from ``prefix``), the reason, and the value, or the key a
    misspelt one was likely meant as. A whole mapping is not repeated as the value."""
    loc = problem["loc"]
    key = ".".join(str(part) for part in (*prefix, *loc)) or "<top level>"
    if problem["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc[:-1]), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{key}: unknown key (got {problem.get('input')!r}){hint}"
    if problem["type"] == "missing":
        return f"{key}: required key is missing"
    reason = problem["msg"].removeprefix("Value error, ")
    shown = problem.get("input")
    return f"{key}: {reason}" + ("" if isinstance(shown, dict) else f" (got {shown!r})")


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
