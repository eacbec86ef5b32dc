"""Evaluation: quality, calibration, robustness, slices, efficiency of every model and the champion."""

from prunegate.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
