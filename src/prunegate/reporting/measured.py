"""Reports whose run-specific values (timings, store tags) live in a sibling file DVC does not hash.

DVC records the hash of every stage output in ``dvc.lock``. A report that holds wall-clock timings or a
freshly generated store tag changes on every run, so a fresh clone's ``make run`` would rewrite
``dvc.lock`` although nothing that matters changed, and a reviewer could not tell a real change from
noise. Such a report is split on save: keys that start with one of the given prefixes (at any depth of
nested objects) go to ``<folder>/measured/<name>``, which no stage declares; everything else goes to the
report's own path, the stage's output. :func:`read_measured_json` merges the two back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["measured_path", "merge_measured", "read_measured_json", "split_measured", "write_measured_json"]

MEASURED_DIR = "measured"


def measured_path(path: str | Path) -> Path:
    """Where the run-specific part of the report at ``path`` is kept."""
    path = Path(path)
    return path.parent / MEASURED_DIR / path.name


def split_measured(data: Any, prefixes: Sequence[str]) -> tuple[Any, Any]:
    """``(reproducible, measured)``: the keys starting with a prefix, at any depth of dicts, moved out."""
    if not isinstance(data, dict):
        return data, {}
    reproducible: dict[str, Any] = {}
    measured: dict[str, Any] = {}
    for key, value in data.items():
        if any(str(key).startswith(prefix) for prefix in prefixes):
            measured[key] = value
            continue
        kept, moved = split_measured(value, prefixes)
        reproducible[key] = kept
        if moved:
            measured[key] = moved
    return reproducible, measured


def merge_measured(reproducible: Any, measured: Any) -> Any:
    """The inverse of :func:`split_measured`."""
    if not isinstance(reproducible, dict) or not isinstance(measured, dict):
        return reproducible
    merged = dict(reproducible)
    for key, value in measured.items():
        merged[key] = merge_measured(merged[key], value) if key in merged else value
    return merged


def read_measured_json(path: str | Path) -> Any:
    """A report saved by :class:`MeasuredJSONDataset`, whole again; None when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    data = _read(path)
    extra = measured_path(path)
    return merge_measured(data, _read(extra)) if extra.is_file() else data


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


def write_measured_json(path: str | Path, data: Any, prefixes: Sequence[str]) -> None:
    """Save ``data`` split as described above; the measured file is always written (no stale timings)."""
    reproducible, measured = split_measured(data, prefixes)
    _write(measured_path(path), measured)
    _write(Path(path), reproducible)


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    temp.replace(path)
