"""Reports whose run-specific values (timings, store tags) live in a sibling file DVC does not hash.

DVC records the hash of every stage output in ``dvc.lock``. A report that holds wall-clock timings or a
freshly generated store tag changes on every run, so a fresh clone's ``make run`` would rewrite
``dvc.lock`` although nothing that matters changed, and a reviewer could not tell a real change from
noise. Such a report is split on save: keys that start with one of the given prefixes (at any depth of
nested objects) go to ``<folder>/measured/<name>``, which no stage declares; everything else goes to the
report's own path, the stage's output. :func:`read_measured_json` merges the two back.

The measured file names the SHA-256 of the report it was written with. DVC restores a stage's outputs
from its cache (``dvc checkout``, or ``dvc repro`` finding the stage in its run cache) without running
the stage, so ``measured/`` can belong to another run than the report beside it: its timings and store
tags would then describe another model. They are merged back only when the report is the one they were
written with; otherwise they are left out, with a warning saying how to measure again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "measured_path",
    "merge_measured",
    "read_measured_json",
    "split_measured",
    "write_measured_json",
    "write_text_atomically",
]

MEASURED_DIR = "measured"
_REPORT_SHA256 = "report_sha256"  # of the reproducible report's text the measured values belong to
_VALUES = "values"

logger = logging.getLogger(__name__)
_WARNED: set[Path] = set()


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


def read_measured_json(path: str | Path, *, warn: bool = True) -> Any:
    """A report saved by :class:`MeasuredJSONDataset`, whole again; None when the file does not exist.

    ``warn=False`` for a reader that checks what it takes from the measured values itself (promote finds
    the store version by the model's checksum): the warning about another run's values would mislead.
    """
    path = Path(path)
    if not path.is_file():
        return None
    text = path.read_text()
    data = _parse(path, text)
    extra = measured_path(path)
    if not extra.is_file():
        return data
    measured = _parse(extra, extra.read_text())
    if not isinstance(measured, dict) or measured.get(_REPORT_SHA256) != _sha256(text):
        if warn and path not in _WARNED:  # once per report and process: the summary reads some reports twice
            _WARNED.add(path)
            logger.warning(
                "%s is from another run than %s (DVC restored the report from its cache): its timings and "
                "store tags are left out; `.venv/bin/dvc repro -f -s <stage>` runs again the stage that "
                "writes it, `.venv/bin/prunegate run --force` every stage (training included)",
                extra,
                path,
            )
        return data
    return merge_measured(data, measured[_VALUES])


def _parse(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_measured_json(path: str | Path, data: Any, prefixes: Sequence[str]) -> None:
    """Save ``data`` split as described above; the measured file is always written, naming the report."""
    reproducible, measured = split_measured(data, prefixes)
    report = _json_text(reproducible)
    write_text_atomically(
        measured_path(path), _json_text({_REPORT_SHA256: _sha256(report), _VALUES: measured})
    )
    write_text_atomically(Path(path), report)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary sibling, then rename it over ``path``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)
