"""Packaging: a blessed model into the BentoML model store, the serving runtime chosen by measurement."""

from prunegate.pipelines.packaging.pipeline import create_pipeline

__all__ = ["create_pipeline"]
