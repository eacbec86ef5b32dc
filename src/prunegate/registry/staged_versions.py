"""A store version appears whole and verified, or not at all; ``latest`` only ever names such a version.

BentoML writes a new version straight into the store folder and then points ``<name>/latest`` at it. A
package stage killed with -9 meanwhile left a half-written or unverified version in the store, and
``latest`` (what ``bentoml.models.get(name)`` and a Bento without a pinned tag resolve to) naming it.

Here the version is saved into a private staging store next to the real one
(``<BENTOML_HOME>/.staging/register-<pid>-*``, same file system), checked there (every file against its
digest, the model loaded), then moved into the store with one ``rename`` and only then named by
``latest`` (written to a temporary file and renamed over). A kill at any point leaves either nothing
in the store or a complete, verified version; the staging folders of dead processes are removed by the
next registration.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["STAGING_DIR", "publish_version", "remove_abandoned_staging", "staged_store", "stored_versions"]

logger = logging.getLogger(__name__)

STAGING_DIR = ".staging"
_PREFIX = "register-"


def _models_dir() -> Path:
    from bentoml._internal.configuration.containers import BentoMLContainer

    return Path(BentoMLContainer.model_store.get()._path)


def stored_versions(name: str) -> list[str]:
    """The version folders of model ``name`` in the store (read from disk: one damaged record cannot
    hide the others, as it does from ``bentoml.models.list``)."""
    folder = _models_dir() / name
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))


@contextlib.contextmanager
def staged_store() -> Iterator[tuple[object, Path]]:
    """A private BentoML model store to save a version into (removed on exit, whatever happens).

    Yields:
        ``(store, folder)``: the ``ModelStore`` to pass as ``_model_store`` and its folder.
    """
    from bentoml._internal.models.model import ModelStore

    staging_root = _models_dir().parent / STAGING_DIR
    staging_root.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(staging_root)
    folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=staging_root))
    try:
        yield ModelStore(folder), folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish_version(staging: Path, name: str, version: str, verify: Callable[[Path], None]) -> None:
    """Check the staged version with ``verify(folder)``, move it into the store, then point ``latest`` at it.

    Raises:
        Whatever ``verify`` raises; nothing reaches the store then.
    """
    staged = staging / name / version
    verify(staged)
    target = _models_dir() / name / version
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(staged, target)  # atomic on one file system: the version appears whole
    latest = target.parent / "latest"
    temporary = target.parent / f".latest.{os.getpid()}.tmp"
    temporary.write_text(version)
    os.replace(temporary, latest)


def remove_abandoned_staging(staging_root: Path) -> list[Path]:
    """Delete the staging folders of processes that no longer run (a registration killed midway)."""
    removed = []
    for folder in staging_root.glob(f"{_PREFIX}*"):
        pid = folder.name[len(_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        logger.info("removed %d staging folder(s) of registrations that were killed midway", len(removed))
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
