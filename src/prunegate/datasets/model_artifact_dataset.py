"""Kedro dataset for :class:`~prunegate.core.serialization.ModelArtifact` files (no pickle, checksummed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact

__all__ = ["ModelArtifactDataset"]


class ModelArtifactDataset(AbstractDataset[ModelArtifact, ModelArtifact]):
    """Saves atomically with a content checksum; loads with ``weights_only=True`` and verifies it."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> ModelArtifact:
        return load_artifact(self._filepath)

    def save(self, data: ModelArtifact) -> None:
        save_artifact(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
