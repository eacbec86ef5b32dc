"""What a service started now would serve, for ``prunegate registry`` to say so beside the pointer.

The service serves the champion the pointer names, or, when that version fails its checks, the previous
champion (:meth:`prunegate.serving.model_holder.ModelHolder.from_registry`). The pointer alone then
named the broken version as if it served, while ``GET /model`` named the previous one. Here the
registry view runs the same store checks (every stored file, the record, the model file) and says which
version serves and why the champion does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from prunegate.core.serialization import ModelArtifactError
from prunegate.registry.store import Pointer, RegistryError, load_version

__all__ = ["ServingView", "serving_view"]


@dataclass(frozen=True)
class ServingView:
    """``serving``: the version served (None: nothing can be); ``problem``: why it is not the champion."""

    serving: str | None
    problem: str | None = None


def serving_view(pointer: Pointer) -> ServingView:
    """The version a service started now serves, checked as the service checks it."""
    if pointer.champion is None:
        return ServingView(None)
    champion_problem = _problem(pointer.champion)
    if champion_problem is None:
        return ServingView(pointer.champion)
    if pointer.previous is not None and _problem(pointer.previous) is None:
        return ServingView(
            pointer.previous,
            f"the champion {pointer.champion} fails its check ({champion_problem}): the service serves the "
            f"previous champion {pointer.previous} instead; `make rollback` makes that official, or promote "
            "a verified model",
        )
    why = f"the champion {pointer.champion} fails its check ({champion_problem}) and no previous can serve"
    return ServingView(None, why)


def _problem(tag: str) -> str | None:
    try:
        load_version(tag)
    except (RegistryError, ModelArtifactError) as error:
        return str(error)
    return None
