"""Which model a serving process serves, decided the same way by the worker and by ``prunegate serve``.

First match wins (the service module docstring explains the cases):

1. ``PRUNEGATE_MODEL_PATH``: that file, fixed;
2. the registry champion (or, when it cannot be loaded, the previous champion), followed with hot reload;
3. inside a built Bento: the packaged store version, fixed;
4. otherwise :class:`~prunegate.serving.model_holder.NoChampionError`.

:func:`serving_holder` raises one of :data:`CANNOT_SERVE` when there is nothing it can serve, whatever
the loader failed on (checksum, missing file, a runtime that cannot parse its file); the message says
why and what to do, so a caller reports it in one line (no traceback) and stops.
"""

from __future__ import annotations

import os
from pathlib import Path

from prunegate.registry.store import read_pointer
from prunegate.serving.config import MODEL_PATH_ENV, ServingConfig
from prunegate.serving.model_holder import (
    ModelHolder,
    ModelLoadError,
    NoChampionError,
    load_model_file,
    load_store_model,
)

__all__ = ["CANNOT_SERVE", "serving_holder"]

CANNOT_SERVE = (NoChampionError, ModelLoadError)  # what serving_holder raises when nothing can be served


def serving_holder(config: ServingConfig, packaged_tag: str | None = None) -> ModelHolder:
    """The holder of the model to serve (not started: :meth:`ModelHolder.start` begins the hot reload).

    Args:
        config: the serving settings (registry folder, reload interval, runtime).
        packaged_tag: the store tag a built Bento carries; only passed from inside a Bento.

    Raises:
        NoChampionError: no model path, no champion, not in a Bento.
        ModelLoadError: the model (and the previous champion, if any) cannot be loaded; says why.
    """
    if fixed := os.environ.get(MODEL_PATH_ENV):
        try:
            return ModelHolder.fixed(load_model_file(Path(fixed), config.runtime))
        except Exception as error:  # the loader says why: checksum, missing file, runtime smoke test
            raise ModelLoadError(f"{MODEL_PATH_ENV}={fixed} cannot be served: {_reason(error)}") from error
    registry_dir = config.path(config.registry_dir)
    if read_pointer(registry_dir).champion is not None or packaged_tag is None:
        return ModelHolder.from_registry(
            registry_dir,
            reload_interval_s=config.reload_interval_s,
            loader=lambda tag: load_store_model(tag, config.runtime),
        )
    try:
        return ModelHolder.fixed(load_store_model(packaged_tag, config.runtime))
    except Exception as error:
        message = f"the packaged model {packaged_tag} cannot be served: {_reason(error)}"
        raise ModelLoadError(message) from error


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
