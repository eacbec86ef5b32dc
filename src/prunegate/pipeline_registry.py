"""Project pipelines: every package under ``pipelines/``; ``__default__`` is the training chain.

Monitoring is left out of ``__default__``: it reads served traffic, not the training data, and runs
on its own schedule (``make monitor``).
"""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

_NOT_DEFAULT = {"monitoring"}


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        pipeline for name, pipeline in pipelines.items() if name not in _NOT_DEFAULT
    )
    return pipelines
