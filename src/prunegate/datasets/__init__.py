"""Kedro datasets of the project: tables with clear read errors, and pickle-free model artifacts."""

from prunegate.datasets.measured_json_dataset import MeasuredJSONDataset
from prunegate.datasets.model_artifact_dataset import ModelArtifactDataset
from prunegate.datasets.optional_json_dataset import OptionalJSONDataset
from prunegate.datasets.table_dataset import TableDataset

__all__ = [
    "MeasuredJSONDataset",
    "ModelArtifactDataset",
    "OptionalJSONDataset",
    "TableDataset",
]
