"""One line per problem pydantic found in a settings mapping: the key, the reason, a did-you-mean.

Shared by the pipeline parameters (:mod:`prunegate.params`), the gate thresholds and the serving settings,
so a misspelt key reads the same wherever it is. Only pydantic and the standard library: the service
imports it without pulling in the pipeline's dependencies.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["describe_problem", "describe_problems"]


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
        meant = _meant_key(model, loc)
        hint = f"; did you mean '{meant}'?" if meant else ""
        return f"{key}: unknown key (got {problem.get('input')!r}){hint}"
    if problem["type"] == "missing":
        return f"{key}: required key is missing"
    reason = problem["msg"].removeprefix("Value error, ")
    shown = problem.get("input")
    return f"{key}: {reason}" + ("" if isinstance(shown, dict) else f" (got {shown!r})")


def describe_problems(
    model: type[BaseModel], problems: Sequence[Mapping[str, Any]], prefix: tuple[str, ...] = ()
) -> list[str]:
    """One line per problem, unknown keys first; a key reported missing is left out when a misspelt key
    already points at it (``prot: unknown key ...; did you mean 'port'?`` says all there is to say)."""
    unknown = [problem for problem in problems if problem["type"] == "extra_forbidden"]
    pointed_at = {(*problem["loc"][:-1], _meant_key(model, problem["loc"])) for problem in unknown}

    def said_already(problem: Mapping[str, Any]) -> bool:
        return problem["type"] == "extra_forbidden" or (
            problem["type"] == "missing" and tuple(problem["loc"]) in pointed_at
        )

    others = [problem for problem in problems if not said_already(problem)]
    return [describe_problem(model, problem, prefix) for problem in [*unknown, *others]]


def _meant_key(model: type[BaseModel], loc: Sequence[Any]) -> str | None:
    """The accepted key closest to the unknown key at ``loc``, if any is close."""
    close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, tuple(loc[:-1])), n=1)
    return close[0] if close else None
