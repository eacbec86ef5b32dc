"""Distillation: a small student learns from the dense (or pruned) teacher (Hinton et al., 2015)."""

from prunegate.pipelines.distillation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
