"""The gate: compression checks against the dense model, regression checks against the champion."""

from prunegate.pipelines.gate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
