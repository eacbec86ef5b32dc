"""Promote a blessed candidate to champion: an explicit step, never a side effect of a run.

``champion/model.pt`` is the champion model itself (a verified copy of the shipped model file): the
evaluation of the next pull request re-evaluates it on that run's test split, which is the regression
gate's baseline (as the TFX Evaluator evaluates its baseline model on the candidate's eval data).
``champion/metrics.json`` are its metrics as measured when promoted, the fallback baseline without a
model file; ``champion/model.json`` names the model (checksum, who, why, when, from which commit) and
``champion/history.jsonl`` is an append-only log of every promotion and rollback.

A rollback of the serving registry rewrites ``champion/`` too (:func:`restore_champion`): otherwise the
rolled-back model would stay the baseline of the next pull request, a lower bar than the model serving.
"""

from __future__ import annotations

import getpass
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prunegate.core.serialization import ModelArtifact, ModelArtifactError, load_artifact, save_artifact
from prunegate.registry.store import METRICS_FILE, load_version, model_metadata
from prunegate.reporting.measured import read_measured_json

__all__ = [
    "MODEL_FILE",
    "SCALAR_METRICS_FALLBACK",
    "PromotionError",
    "champion_checksum",
    "promote",
    "restore_champion",
]

MODEL_FILE = "model.pt"
SCALAR_METRICS_FALLBACK = (
    "store metadata: scalar metrics only (the version was packaged without metrics.json; no slices, "
    "no test split fingerprint)"
)


class PromotionError(RuntimeError):
    """The candidate cannot be promoted (not blessed, inconsistent or missing outputs)."""


def champion_checksum(champion_dir: Path) -> str | None:
    """The checksum of ``model.pt`` (verified on load) when ``model.pt``, ``metrics.json`` and
    ``model.json`` are all there and readable; None otherwise, so the champion is written again whole."""
    if not all((champion_dir / name).is_file() for name in ("metrics.json", "model.json")):
        return None
    try:
        return load_artifact(champion_dir / MODEL_FILE).checksum
    except (ModelArtifactError, OSError):
        return None


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise PromotionError(f"{path} is missing: run `make run` (or `make gate`) first")
    return read_measured_json(path)  # with the timings kept in measured/


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

    Writes ``model.pt`` (the shipped model file, copied atomically and verified), ``metrics.json`` and
    ``model.json``, and appends to ``history.jsonl``.

    Raises:
        PromotionError: if the last run's candidate was not blessed, its outputs disagree, or the shipped
            model file is corrupt.
    """
    blessing = _read_json(reporting_dir / "blessing.json")
    metrics = _read_json(reporting_dir / "candidate_metrics.json")
    if not blessing.get("blessed"):
        raise PromotionError(f"{blessing.get('candidate')} is NOT BLESSED: it cannot become champion")
    if blessing.get("candidate") != metrics.get("model"):
        raise PromotionError("blessing.json and candidate_metrics.json are from different candidates: re-run")
    if not shipped_model.is_file():
        raise PromotionError(f"{shipped_model} is missing: only a blessed run writes it")
    try:
        artifact = load_artifact(shipped_model)  # verifies the checksum
    except ModelArtifactError as error:
        raise PromotionError(f"{error}: nothing was promoted") from error
    return _install(champion_dir, artifact, metrics, event="promote", reason=reason, by=by)


def restore_champion(champion_dir: Path, tag: str, *, reason: str, by: str | None = None) -> dict[str, Any]:
    """Make the stored version ``tag`` the git champion again; returns the new ``model.json`` record.

    Called after a rollback of the serving registry, so that pull requests are gated against the model
    that serves again and not against the one rolled back. ``metrics.json`` comes from the version's own
    ``metrics.json`` in the store. A version packaged before those were stored only has its scalar metrics
    (store metadata): they are written with the model's name, and ``metrics_source`` in the record says
    so. That keeps a (partial) fallback baseline rather than none: the gate re-evaluates ``model.pt``
    anyway, but without ``metrics.json`` a champion that cannot be re-evaluated would read as "no champion
    yet" (only absolute bounds checked), while a metric missing from a baseline fails its check (closed).

    Raises:
        prunegate.registry.store.RegistryError: ``tag`` is not in the store or its file's checksum differs.
        PromotionError: the stored model file or its copy is unreadable.
        OSError: ``champion_dir`` cannot be written.
    """
    try:
        source, artifact = load_version(tag)  # verified against the checksum recorded at registration
    except ModelArtifactError as error:
        raise PromotionError(f"model {tag}: {error}: champion/ unchanged") from error
    stored_metrics = source.parent / METRICS_FILE
    if stored_metrics.is_file():
        metrics, metrics_source = json.loads(stored_metrics.read_text()), "store"
    else:
        metadata = model_metadata(tag)
        metrics = {"model": metadata.get("model", tag), **metadata.get("metrics", {})}
        metrics_source = SCALAR_METRICS_FALLBACK
    return _install(
        champion_dir,
        artifact,
        metrics,
        event="rollback",
        reason=reason,
        by=by,
        registry_tag=tag,
        metrics_source=metrics_source,
    )


def _install(
    champion_dir: Path,
    artifact: ModelArtifact,
    metrics: dict[str, Any],
    *,
    event: str,
    reason: str,
    by: str | None,
    **extra: Any,
) -> dict[str, Any]:
    """Write ``model.pt``, ``metrics.json``, ``model.json`` and a history line: the one way champion/ changes.

    ``promoted_at``/``promoted_by`` name when and by whom the model became champion, whatever the event, so
    that readers of ``model.json`` need not tell promotions and rollbacks apart.
    """
    champion_dir.mkdir(parents=True, exist_ok=True)
    previous = champion_dir / "model.json"
    record = {
        "event": event,
        "model": metrics.get("model"),
        "checksum": artifact.checksum,
        "file": MODEL_FILE,
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "promoted_by": by or getpass.getuser(),
        "reason": reason,
        "git_commit": _git_commit(champion_dir),
        "previous_checksum": json.loads(previous.read_text())["checksum"] if previous.is_file() else None,
        **extra,
    }
    save_artifact(artifact, champion_dir / MODEL_FILE)  # atomic; the artifact was verified on load
    _write_json(champion_dir / "metrics.json", metrics)
    _write_json(previous, record)
    with (champion_dir / "history.jsonl").open("a") as history:
        history.write(json.dumps(record, sort_keys=True) + "\n")
    return record
