"""Evaluation: quality, calibration, robustness, slices and efficiency of every model, same keys."""

from prunegate.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
