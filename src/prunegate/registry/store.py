"""Model registry: versions in the BentoML model store, champion/previous in a pointer file, a history.

Why the BentoML store plus a pointer file (and not GTO's git tags): the store already keeps every
packaged version with its files and metadata where the service loads it from; a pointer file is
swapped atomically (``os.replace``), so a running service can hot-reload it without a restart and
readers never disagree (API_NOTES: after a GTO rollback the CLI and the Python API disagree until
the bad version is deprecated). ``registry/history.jsonl`` is append-only: who, what, why, when.

The pointer keeps the lineage of champions: promote pushes a version, rollback pops the champion and
the one before it serves again. ``registry/champion_model.pt`` and ``previous_model.pt`` are verified
copies of the two newest, for monitoring to compare them. A version packaged by the pipeline also holds
its full metrics (``metrics.json``), so that a rollback can make it the git champion again with them.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prunegate.core.serialization import ModelArtifact, ModelArtifactError, load_artifact
from prunegate.registry.staged_versions import publish_version, staged_store, stored_versions
from prunegate.registry.version_record import RECORD_DIGEST, VersionRecordError, read_record, record_digest

__all__ = [
    "METRICS_FILE",
    "MODEL_CARD_FILE",
    "MODEL_FILE",
    "MODEL_NAME",
    "Pointer",
    "RegistryError",
    "ensure_project_bentoml_home",
    "find_version",
    "history",
    "load_version",
    "model_metadata",
    "model_path",
    "promote_version",
    "read_pointer",
    "record_event",
    "register_model",
    "rollback",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "prunegate-model"
MODEL_FILE = "model.pt"
METRICS_FILE = "metrics.json"
MODEL_CARD_FILE = "model_card.html"  # the model card (Mitchell et al. 2019), served at GET /card
CODE_DIR = "code"  # a factory model's own Python package, stored with it
FILE_DIGESTS = "file_sha256"  # metadata key: stored file name -> SHA-256, checked before use
_POINTER = "pointer.json"
_HISTORY = "history.jsonl"


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (no champion, no previous, a corrupt model)."""


@dataclass
class Pointer:
    """``lineage`` lists champions oldest first; the last is serving, the one before is previous."""

    lineage: list[str] = field(default_factory=list)
    updated_at: str | None = None

    @property
    def champion(self) -> str | None:
        return self.lineage[-1] if self.lineage else None

    @property
    def previous(self) -> str | None:
        return self.lineage[-2] if len(self.lineage) > 1 else None


def ensure_project_bentoml_home(project_root: Path | None = None) -> Path:
    """``<project>/bentoml_home`` as the store unless ``BENTOML_HOME`` is set: never the user's global one."""
    home = os.environ.setdefault("BENTOML_HOME", str((project_root or Path.cwd()) / "bentoml_home"))
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    return Path(home)


def register_model(
    artifact_path: Path,
    *,
    labels: dict[str, str],
    metadata: dict[str, Any],
    extra_files=(),
    code_files: dict[str, Path] | None = None,
) -> str:
    """Save a verified model file (and e.g. its ONNX export) as a new store version; returns the tag.

    ``code_files`` (``{import path: file}``, the user's model package for a factory model) are stored
    under ``code/`` and put on ``sys.path`` when the version is loaded, so the version rebuilds its
    model wherever it is served (a Bento has no copy of the user's repository). The SHA-256 of every
    stored file (the model, the ONNX export, its metrics, the code) is recorded with the version, and
    :func:`model_path` checks them all: no file that can be served or run is trusted unchecked. The
    version is saved and checked in a staging store first and appears in the store whole, then named by
    ``latest`` (:mod:`prunegate.registry.staged_versions`): a kill midway leaves the store as it was.
    """
    stored_code = tuple(sorted({Path(name).parts[0].removesuffix(".py") for name in code_files or {}}))
    # refuse a corrupt file before it enters the store; its factory's code is what is stored with it
    artifact = load_artifact(artifact_path, trusted_modules=stored_code)
    ensure_project_bentoml_home()
    import bentoml

    sources = {MODEL_FILE: Path(artifact_path), **{Path(extra).name: Path(extra) for extra in extra_files}}
    sources.update({f"{CODE_DIR}/{name}": Path(path) for name, path in (code_files or {}).items()})
    digests = {name: file_sha256(source) for name, source in sources.items()}
    record = {**metadata, "checksum": artifact.checksum, FILE_DIGESTS: digests}
    record[RECORD_DIGEST] = record_digest(labels, record)
    with staged_store() as (staging, folder):
        with bentoml.models.create(
            name=MODEL_NAME, labels=labels, metadata=record, _model_store=staging
        ) as model:
            for name, source in sources.items():
                target = Path(model.path_of(name))
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        tag = str(model.tag)

        def verify(staged: Path) -> None:
            _checked_record(tag, staging)  # the record as written reads back with its digest
            _verify_files(tag, staged, digests)
            if load_artifact(staged / MODEL_FILE, code_dir=staged / CODE_DIR).checksum != artifact.checksum:
                raise RegistryError(f"model {tag}: the stored copy differs from {artifact_path}")

        publish_version(folder, MODEL_NAME, str(model.tag.version), verify)
    return tag


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify_files(tag: str, folder: Path, digests: dict[str, str]) -> None:
    for name, expected in sorted(digests.items()):
        path = folder / name
        if not path.is_file():
            raise RegistryError(f"model {tag}: stored file {name} is missing")
        if file_sha256(path) != expected:
            message = f"model {tag}: stored file {name}: checksum differs from the registered one"
            raise RegistryError(message)


def model_path(tag: str) -> Path:
    """The model file of a stored version, after its record and every stored file are checked
    (:func:`load_version`)."""
    return load_version(tag)[0]


def load_version(tag: str) -> tuple[Path, ModelArtifact]:
    """The model file of a stored version and its artifact, every stored file checked first.

    A user model's factory is imported from the version's own ``code/`` and from nowhere else.

    Raises:
        RegistryError: the version is not in the store, or a stored file differs from its record.
        ModelArtifactError: the model file is unreadable, or names code that is not stored with it.
    """
    stored = _checked_record(tag)
    path = Path(stored.path) / MODEL_FILE
    _verify_files(tag, path.parent, stored.info.metadata.get(FILE_DIGESTS) or {})
    code = path.parent / CODE_DIR
    if code.is_dir() and str(code) not in sys.path:  # verified above: rebuilt from its own code
        sys.path.insert(0, str(code))
    artifact = load_artifact(path, code_dir=code)
    if artifact.checksum != stored.info.metadata.get("checksum"):
        raise RegistryError(f"model {tag}: file checksum differs from the one recorded at registration")
    return path, artifact


def model_metadata(tag: str) -> dict[str, Any]:
    """The metadata a version was registered with (e.g. its scalar ``metrics``), its record checked."""
    return dict(_checked_record(tag).info.metadata)


def _checked_record(tag: str, model_store: Any = None) -> Any:
    """The BentoML model ``tag`` with an intact record (:mod:`prunegate.registry.version_record`).

    Raises:
        RegistryError: not in the store, or its record is unreadable or altered (one line).
    """
    ensure_project_bentoml_home()
    try:
        return read_record(tag, model_store)
    except LookupError as error:
        raise RegistryError(f"model {tag} is not in the store ({os.environ['BENTOML_HOME']})") from error
    except VersionRecordError as error:
        raise RegistryError(str(error)) from None


def find_version(checksum: str) -> str | None:
    """The newest stored version whose model has ``checksum`` (the model's own checksum), or None."""
    ensure_project_bentoml_home()
    matches = []
    for version in stored_versions(MODEL_NAME):
        try:
            stored = _checked_record(f"{MODEL_NAME}:{version}")
        except RegistryError as error:  # a damaged version is never the one found
            logger.warning("registry: %s", error)
            continue
        if stored.info.metadata.get("checksum") == checksum:
            matches.append(stored)
    return str(max(matches, key=lambda stored: stored.info.creation_time).tag) if matches else None


def read_pointer(registry_dir: Path) -> Pointer:
    path = registry_dir / _POINTER
    if not path.is_file():
        return Pointer()
    return Pointer(**json.loads(path.read_text()))


def history(registry_dir: Path) -> list[dict[str, Any]]:
    path = registry_dir / _HISTORY
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write_pointer(registry_dir: Path, pointer: Pointer) -> None:
    registry_dir.mkdir(parents=True, exist_ok=True)
    temp = registry_dir / f".{_POINTER}.tmp"
    temp.write_text(json.dumps(asdict(pointer), indent=2) + "\n")
    os.replace(temp, registry_dir / _POINTER)  # atomic: a reader sees the old or the new pointer


def _materialise(registry_dir: Path, pointer: Pointer) -> list[str]:
    """Copy the champion's and the previous champion's model files next to the pointer.

    The champion was verified before the pointer moved. A previous champion whose stored copy fails its
    check (the very reason a new model is promoted, often) does not undo the move: its copy is removed
    and the returned warning says that a rollback to it will be refused.
    """
    warnings = []
    for role, tag in (("champion", pointer.champion), ("previous", pointer.previous)):
        target = registry_dir / f"{role}_model.pt"
        if tag is None:
            target.unlink(missing_ok=True)
            continue
        try:
            source = model_path(tag)
        except (RegistryError, ModelArtifactError) as error:
            if role == "champion":
                raise
            target.unlink(missing_ok=True)
            warnings.append(
                f"the previous champion {tag} fails its check ({error}): a rollback to it is refused"
            )
            continue
        temp = registry_dir / f".{role}_model.pt.tmp"
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    for warning in warnings:
        logger.warning("registry: %s", warning)
    return warnings


def _record(registry_dir: Path, event: str, pointer: Pointer, by: str | None, reason: str, **extra) -> None:
    entry = {
        "event": event,
        "at": pointer.updated_at,
        "by": by or getpass.getuser(),
        "reason": reason,
        "champion": pointer.champion,
        "previous": pointer.previous,
        **extra,
    }
    with (registry_dir / _HISTORY).open("a") as log:
        log.write(json.dumps(entry, sort_keys=True) + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def promote_version(registry_dir: Path, tag: str, *, reason: str, by: str | None = None) -> Pointer:
    """Make ``tag`` (already in the store, checksum verified) the serving champion."""
    model_path(tag)
    pointer = read_pointer(registry_dir)
    if pointer.champion == tag:
        raise RegistryError(f"{tag} is already the champion")
    pointer = Pointer(lineage=[*pointer.lineage, tag], updated_at=_now())
    _write_pointer(registry_dir, pointer)
    warnings = _materialise(registry_dir, pointer)
    _record(registry_dir, "promote", pointer, by, reason, **({"warnings": warnings} if warnings else {}))
    return pointer


def rollback(registry_dir: Path, *, reason: str, by: str | None = None) -> Pointer:
    """Serve the previous champion again; the current one is recorded as rolled back."""
    pointer = read_pointer(registry_dir)
    if pointer.previous is None:
        raise RegistryError("there is no previous champion to roll back to")
    model_path(pointer.previous)  # never switch to a model whose file is corrupt
    rolled_back = pointer.champion
    pointer = Pointer(lineage=pointer.lineage[:-1], updated_at=_now())
    _write_pointer(registry_dir, pointer)
    warnings = _materialise(registry_dir, pointer)
    extra = {"warnings": warnings} if warnings else {}
    _record(registry_dir, "rollback", pointer, by, reason, rolled_back=rolled_back, **extra)
    return pointer


def record_event(registry_dir: Path, event: str, *, reason: str, by: str | None = None, **extra: Any) -> None:
    """Append a non-moving event (e.g. a monitoring decision) to the history, with the current pointer."""
    registry_dir.mkdir(parents=True, exist_ok=True)
    pointer = read_pointer(registry_dir)
    _record(registry_dir, event, Pointer(pointer.lineage, _now()), by, reason, **extra)
