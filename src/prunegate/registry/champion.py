"""Promote a blessed candidate to champion: an explicit step, never a side effect of a run.

``champion/metrics.json`` is what the regression gate of the next pull request compares against;
``champion/model.json`` names the model (checksum, who, why, when, from which commit) and
``champion/history.jsonl`` is an append-only log of every promotion.
"""

from __future__ import annotations

import getpass
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prunegate.core.serialization import load_artifact

__all__ = ["PromotionError", "promote"]


class PromotionError(RuntimeError):
    """The candidate cannot be promoted (not blessed, inconsistent or missing outputs)."""


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise PromotionError(f"{path} is missing: run `make run` (or `make gate`) first")
    return json.loads(path.read_text())


def _git_commit(cwd: Path) -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def _write_json(path: Path, data: Any) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    temp.replace(path)


def promote(
    reporting_dir: Path, shipped_model: Path, champion_dir: Path, *, reason: str, by: str | None = None
) -> dict[str, Any]:
    """Make the blessed candidate of the last run the champion; returns the new ``model.json`` record.

    Raises:
        PromotionError: if the last run's candidate was not blessed, or its outputs disagree.
    """
    blessing = _read_json(reporting_dir / "blessing.json")
    metrics = _read_json(reporting_dir / "candidate_metrics.json")
    if not blessing.get("blessed"):
        raise PromotionError(f"{blessing.get('candidate')} is NOT BLESSED: it cannot become champion")
    if blessing.get("candidate") != metrics.get("model"):
        raise PromotionError("blessing.json and candidate_metrics.json are from different candidates: re-run")
    if not shipped_model.is_file():
        raise PromotionError(f"{shipped_model} is missing: only a blessed run writes it")
    artifact = load_artifact(shipped_model)  # verifies the checksum
    champion_dir.mkdir(parents=True, exist_ok=True)
    previous = champion_dir / "model.json"
    record = {
        "model": metrics["model"],
        "checksum": artifact.checksum,
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "promoted_by": by or getpass.getuser(),
        "reason": reason,
        "git_commit": _git_commit(champion_dir),
        "previous_checksum": json.loads(previous.read_text())["checksum"] if previous.is_file() else None,
    }
    _write_json(champion_dir / "metrics.json", metrics)
    _write_json(previous, record)
    with (champion_dir / "history.jsonl").open("a") as history:
        history.write(json.dumps({"event": "promote", **record}, sort_keys=True) + "\n")
    return record
