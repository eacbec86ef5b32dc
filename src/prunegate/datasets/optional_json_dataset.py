"""A JSON file that may legitimately be absent (the champion before the first promotion)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

__all__ = ["OptionalJSONDataset"]


class OptionalJSONDataset(AbstractDataset[Any, Any]):
    """Loads ``None`` when the file does not exist; a file that exists must be valid JSON."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> Any:
        if not self._filepath.is_file():
            return None
        try:
            return json.loads(self._filepath.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{self._filepath} is not valid JSON: {error}") from error

    def save(self, data: Any) -> None:
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        temp = self._filepath.with_name(f".{self._filepath.name}.tmp")
        temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        temp.replace(self._filepath)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
