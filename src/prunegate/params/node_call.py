"""Call a node outside a Kedro run (benchmarks, tests) with its parameters sections as mappings.

Inside a run Kedro turns each ``params:<section>`` input into the model the node's type hint names
(``TrainingParams``) before any node runs. :func:`as_kedro_node` does the same for a direct call: every
mapping given for an argument typed with a :class:`~prunegate.params.base.StrictParams` model is
validated into it (a bad one raises :class:`~prunegate.params.base.ConfigError` naming the key); anything
else passes through.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from prunegate.params.base import StrictParams

__all__ = ["as_kedro_node"]

ReturnT = TypeVar("ReturnT")


def _params_model(hint: Any) -> type[StrictParams] | None:
    return hint if isinstance(hint, type) and issubclass(hint, StrictParams) else None


def as_kedro_node(function: Callable[..., ReturnT]) -> Callable[..., ReturnT]:
    """``function``, taking each typed parameters section as a mapping too, as a Kedro run passes it."""
    signature = inspect.signature(function)
    models = {
        name: model
        for name, hint in typing.get_type_hints(function).items()
        if (model := _params_model(hint)) is not None
    }

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> ReturnT:
        bound = signature.bind(*args, **kwargs)
        for name, model in models.items():
            if isinstance(bound.arguments.get(name), dict):
                bound.arguments[name] = model.model_validate(bound.arguments[name])
        return function(*bound.args, **bound.kwargs)

    return call
