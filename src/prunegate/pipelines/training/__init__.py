"""Training: the dense (teacher) model from the validated splits."""

from prunegate.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
