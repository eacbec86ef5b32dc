"""Kedro dataset of a JSON report with its run-specific keys kept apart (see reporting.measured)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from prunegate.reporting.measured import read_measured_json, write_measured_json

__all__ = ["MeasuredJSONDataset"]


class MeasuredJSONDataset(AbstractDataset[Any, Any]):
    """JSON with its run-specific keys kept apart, so that ``dvc.lock`` does not change with them.

    Args:
        filepath: The reproducible part (the DVC stage output).
        measured_keys: Key prefixes of run-specific values, e.g. ``["latency_"]``.
        optional: Load None (instead of failing) when the file does not exist.
    """

    def __init__(
        self,
        filepath: str,
        measured_keys: Sequence[str] = (),
        optional: bool = False,
        metadata: dict[str, Any] | None = None,
    ):
        self._filepath = Path(filepath)
        self._prefixes = tuple(measured_keys)
        self._optional = optional
        self.metadata = metadata

    def load(self) -> Any:
        if not self._filepath.is_file() and not self._optional:
            raise FileNotFoundError(f"{self._filepath} does not exist")
        return read_measured_json(self._filepath)

    def save(self, data: Any) -> None:
        write_measured_json(self._filepath, data, self._prefixes)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "measured_keys": list(self._prefixes)}
