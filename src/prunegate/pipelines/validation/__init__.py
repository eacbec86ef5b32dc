"""Data validation (Great Expectations): the raw table and every split, before anything trains."""

from prunegate.pipelines.validation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
