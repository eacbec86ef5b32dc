"""Project pipelines: every package under ``pipelines/``; ``__default__`` is the training chain.

Monitoring is left out of ``__default__``: it reads served traffic, not the training data, and runs
on its own schedule (``make monitor``).
"""

from __future__ import annotations

import importlib
import pkgutil

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

_NOT_DEFAULT = {"monitoring"}


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        pipeline for name, pipeline in pipelines.items() if name not in _NOT_DEFAULT
    )
    return pipelines


def every_pipeline() -> dict[str, Pipeline]:
    """Every pipeline of the project, whichever a run names (Kedro's registry loads only those named)."""
    from prunegate import pipelines as package

    return {
        module.name: importlib.import_module(f"{package.__name__}.{module.name}").create_pipeline()
        for module in pkgutil.iter_modules(package.__path__)
        if module.ispkg
    }
