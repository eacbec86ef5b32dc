"""Pruning: the dense model -> a pruned model (structured: physically smaller; unstructured: masked)."""

from prunegate.pipelines.pruning.pipeline import create_pipeline

__all__ = ["create_pipeline"]
