"""Local overrides DVC would ignore: ``conf/local`` values that differ from ``conf/base`` in what it tracks.

Kedro merges ``conf/local`` over ``conf/base`` key by key when a stage runs, but DVC decides whether to
run the stage from ``conf/base`` alone (the ``params:`` and ``vars:`` of ``dvc.yaml``): an override there
was applied only if the stage happened to run for another reason, and ``dvc.lock`` then recorded values
the outputs were not made with. ``prunegate run`` refuses such overrides, naming each key, rather than
reuse a cached result that ignores them. ``conf/local`` stays the place for what no stage reads:
credentials, the serving settings, the monitoring command's settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["untracked_overrides"]

_PATTERNS = ("parameters*.yml", "parameters*.yaml", "globals*.yml", "globals*.yaml")


def untracked_overrides(project: Path) -> list[str]:
    """One line per local value DVC would not see: the file, the key, both values, and the command that
    tries the value as a DVC experiment (for a parameters file) instead."""
    local = project / "conf" / "local"
    if not local.is_dir():
        return []
    tracked = _tracked_sections(project / "dvc.yaml")
    base_files = sorted((project / "conf" / "base").rglob("*.y*ml"))
    base = _merged(base_files)
    holder = {section: path for path in base_files for section in _read(path) if _is_settings(path)}
    found = []
    for path in sorted(p for pattern in _PATTERNS for p in local.rglob(pattern)):
        for key, value in _leaves(_read(path)):
            if key.split(".")[0] not in tracked or _lookup(base, key) == value:
                continue
            line = f"{path.relative_to(project)}: {key} = {value!r} (conf/base: {_lookup(base, key)!r})"
            section_file = holder.get(key.split(".")[0])
            if section_file is not None and section_file.name.startswith("parameters"):
                setting = f"{section_file.relative_to(project)}:{key}={_override_value(value)}"
                line += f"; to try it: .venv/bin/dvc exp run -S '{setting}'"
            elif section_file is not None:
                line += f"; edit it in {section_file.relative_to(project)}"
            found.append(line)
    return found


def _is_settings(path: Path) -> bool:
    return path.name.startswith(("parameters", "globals"))


def _override_value(value: Any) -> str:
    """``value`` as ``dvc exp run -S`` reads it (Hydra's override grammar): YAML scalars, JSON lists."""
    return value if isinstance(value, str) else json.dumps(value)


def _tracked_sections(dvc_file: Path) -> set[str]:
    """The top-level keys of every params entry of every stage, and of the ``vars`` files."""
    if not dvc_file.is_file():
        return set()
    pipeline = yaml.safe_load(dvc_file.read_text()) or {}
    sections: set[str] = set()
    for stage in (pipeline.get("stages") or {}).values():
        for entry in stage.get("params") or []:
            keys = [k for values in entry.values() for k in values] if isinstance(entry, dict) else [entry]
            sections.update(str(key).split(".")[0] for key in keys)
    for variables in pipeline.get("vars") or []:
        if isinstance(variables, str):
            sections.update(_read(dvc_file.parent / variables.split(":")[0]))
    return sections


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}  # unreadable: the parameters' own validation names the file
    return document if isinstance(document, dict) else {}


def _merged(paths: list[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in paths:
        if _is_settings(path):
            merged.update(_read(path))
    return merged


def _leaves(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys of the values a soft merge sets (a mapping merges key by key; anything else replaces)."""
    for key, value in document.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{dotted}.")
        else:
            yield dotted, value


def _lookup(document: Mapping[str, Any], dotted: str) -> Any:
    current: Any = document
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current
