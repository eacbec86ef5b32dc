"""Ingestion: the raw table (embedded digits or the user's file) -> seeded stratified train/val/test."""

from prunegate.pipelines.ingestion.pipeline import create_pipeline

__all__ = ["create_pipeline"]
