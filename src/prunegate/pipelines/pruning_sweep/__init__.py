"""Pruning sweep: several methods at several budgets, as a table and accuracy-vs-cost plots."""

from prunegate.pipelines.pruning_sweep.pipeline import create_pipeline

__all__ = ["create_pipeline"]
