"""Monitoring: drift and live accuracy of served traffic -> a decision (none | retrain | rollback)."""

from prunegate.pipelines.monitoring.pipeline import create_pipeline

__all__ = ["create_pipeline"]
