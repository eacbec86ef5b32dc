"""A model artifact that may legitimately be absent (the previous champion before the first rollback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact

__all__ = ["OptionalModelArtifactDataset"]


class OptionalModelArtifactDataset(AbstractDataset[ModelArtifact, ModelArtifact | None]):
    """Loads ``None`` when the file does not exist; a file that exists is loaded and verified as usual."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> ModelArtifact | None:
        if not self._filepath.is_file():
            return None
        return load_artifact(self._filepath)

    def save(self, data: ModelArtifact) -> None:
        save_artifact(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
