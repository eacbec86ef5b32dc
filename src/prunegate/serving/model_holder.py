"""The model being served, and its hot reload when the registry's champion changes.

:class:`ModelHolder` keeps one :class:`LoadedModel` (runtime + metadata + version). In registry mode a
background thread looks at ``registry/pointer.json`` every ``reload_interval_s``: only when the file
changed (modification time, inode, size) is it read, and only when it names another champion is that
version loaded, completely and off the request path (checksum verified by ``model_path``, runtime
built, one smoke prediction), then the reference is swapped in one assignment. Requests read
``holder.current`` once and use that object throughout, so a swap never mixes two models in one
request. A version that fails to load (missing, corrupt, checksum mismatch, broken ONNX file) is
logged as an error and *not* retried until the pointer changes again; the current model keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from prunegate.core.profiling import median_latency_ms
from prunegate.core.serialization import ModelArtifact, load_artifact
from prunegate.registry.store import MODEL_CARD_FILE, load_version, model_metadata, read_pointer
from prunegate.serving.runtimes import EAGER, Runtime, load_runtime

__all__ = [
    "LoadedModel",
    "ModelHolder",
    "ModelLoadError",
    "NoChampionError",
    "load_model_file",
    "load_store_model",
]

logger = logging.getLogger(__name__)

POINTER_FILE = "pointer.json"
VERSION_CHARS = 12  # a version derived from a checksum keeps this many hex digits
DEFAULT_RELOAD_INTERVAL_S = 2.0  # the service passes conf/base/parameters_serving.yml's value
ROW_LATENCY_TIMING_S = 0.05  # one-row predictions timed this long at load: LoadedModel.row_latency_ms


class ModelLoadError(RuntimeError):
    """A model that cannot be served (inconsistent metadata, a runtime that fails its smoke test)."""


class NoChampionError(RuntimeError):
    """The registry names no champion: there is nothing to serve."""


@dataclass(frozen=True)
class LoadedModel:
    """Everything a request needs about the served model; replaced whole, never mutated."""

    version: str
    tag: str | None
    runtime: Runtime
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    feature_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    row_latency_ms: float = float("nan")  # median one-row prediction time, measured at load
    card_html: str | None = None  # the version's model card (model_card.html), checksummed with the rest

    @property
    def runtime_name(self) -> str:
        return self.runtime.name

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        return self.runtime.predict_proba(features)


def _assemble(
    artifact: ModelArtifact,
    metadata: Mapping[str, Any],
    runtime: Runtime,
    version: str,
    tag: str | None,
    folder: Path | None = None,
) -> LoadedModel:
    spec = artifact.spec
    features = metadata.get("feature_names") or [f"x{i}" for i in range(spec.in_features)]
    classes = metadata.get("class_names") or [str(i) for i in range(spec.num_classes)]
    if len(features) != spec.in_features or len(classes) != spec.num_classes:
        raise ModelLoadError(
            f"model {tag or version}: {len(features)} feature names / {len(classes)} class names do not "
            f"match the architecture ({spec.in_features} inputs, {spec.num_classes} classes)"
        )
    ranges = {str(k): (float(v[0]), float(v[1])) for k, v in (metadata.get("feature_ranges") or {}).items()}
    model = LoadedModel(
        version=str(version),
        tag=tag,
        runtime=runtime,
        feature_names=tuple(str(name) for name in features),
        class_names=tuple(str(name) for name in classes),
        feature_ranges=ranges,
        card_html=_model_card(folder),
    )
    row = _smoke_test(model)
    return replace(model, row_latency_ms=_row_latency_ms(model, row))


def _model_card(folder: Path | None) -> str | None:
    """The stored model card, or ``None`` for a version packaged without one."""
    card = Path(folder) / MODEL_CARD_FILE if folder is not None else None
    return card.read_text(encoding="utf-8") if card is not None and card.is_file() else None


def _smoke_test(model: LoadedModel) -> np.ndarray:
    """One prediction on a row inside the ranges: a runtime that cannot predict is never swapped in.

    Returns:
        The row it predicted (one row, in feature order).
    """
    row = np.array(
        [[sum(model.feature_ranges.get(name, (0.0, 0.0))) / 2 for name in model.feature_names]],
        dtype=np.float32,
    )
    probabilities = model.predict_proba(row)
    if probabilities.shape != (1, len(model.class_names)) or not np.all(np.isfinite(probabilities)):
        raise ModelLoadError(f"model {model.tag or model.version}: smoke prediction gave {probabilities!r}")
    return row


def _row_latency_ms(model: LoadedModel, row: np.ndarray) -> float:
    """Median time of a one-row prediction on this machine, with the threads the server uses.

    The service uses it to decide whether adaptive batching is worth its extra hop (``dispatch: auto``).
    """
    return median_latency_ms(lambda: model.predict_proba(row), min_run_time_s=ROW_LATENCY_TIMING_S)


def load_store_model(tag: str, runtime: str | None = None) -> LoadedModel:
    """Load version ``tag`` from the BentoML store with the runtime its metadata names (or ``runtime``).

    Raises:
        RegistryError: the version is not in the store, or its file's checksum is not the recorded one.
        ModelArtifactError: the file is unreadable or corrupt.
        ModelLoadError: metadata and architecture disagree, or the runtime fails its smoke prediction.
    """

    path, artifact = load_version(tag)  # raises RegistryError when missing or when a checksum differs
    metadata = model_metadata(tag)  # its record checked against its digest
    name = runtime or metadata.get("runtime") or EAGER
    version = metadata.get("version") or tag.partition(":")[2]
    return _assemble(artifact, metadata, load_runtime(name, path.parent, artifact), version, tag, path.parent)


def load_model_file(path: Path, runtime: str | None = None) -> LoadedModel:
    """Load a model file outside the store (tests, ``PRUNEGATE_MODEL_PATH``); metadata from the artifact.

    Raises:
        ModelArtifactError: the file is missing, unreadable or corrupt.
        ModelLoadError: as for :func:`load_store_model`.
    """
    artifact = load_artifact(path)
    metadata = artifact.metadata
    version = metadata.get("version") or artifact.checksum[:VERSION_CHARS]
    runtime_obj = load_runtime(runtime or EAGER, Path(path).parent, artifact)
    return _assemble(artifact, metadata, runtime_obj, version, None, Path(path).parent)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_ino, stat.st_size)


class ModelHolder:
    """The served model; in registry mode it follows the pointer file (see the module docstring).

    Args:
        initial: the model to serve first.
        registry_dir: the registry folder to follow; ``None`` serves ``initial`` forever.
        reload_interval_s: the pointer file is looked at no more often than this.
        loader: how a tag is loaded (:func:`load_store_model`; tests may inject another).
    """

    def __init__(
        self,
        initial: LoadedModel,
        *,
        registry_dir: Path | None = None,
        reload_interval_s: float = DEFAULT_RELOAD_INTERVAL_S,
        loader: Callable[[str], LoadedModel] = load_store_model,
    ) -> None:
        self._current = initial
        self.registry_dir = Path(registry_dir) if registry_dir is not None else None
        self.reload_interval_s = reload_interval_s
        self._loader = loader
        self._pointer = self.registry_dir / POINTER_FILE if self.registry_dir is not None else None
        self._seen = _signature(self._pointer) if self._pointer is not None else None
        self._failed: set[tuple[str, Any]] = set()
        self.unserved: tuple[str, str] | None = None  # (champion the registry names, why it does not serve)
        self._last_check = time.monotonic()
        self._check_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_registry(
        cls,
        registry_dir: Path,
        *,
        reload_interval_s: float,
        loader: Callable[[str], LoadedModel] = load_store_model,
    ) -> ModelHolder:
        """Serve the registry's champion and follow the pointer.

        A champion that cannot be loaded (corrupt, tampered, missing from the store) is not retried in a
        loop of failed startups: the previous champion serves instead, with an error in the log, until
        the pointer changes (a rollback or a new promotion).

        Raises:
            NoChampionError: the pointer file is missing or names no champion.
            ModelLoadError: neither the champion nor a previous champion can be loaded (the message says
                why, and what to do).
        """
        pointer = read_pointer(Path(registry_dir))
        champion = pointer.champion
        if champion is None:
            raise NoChampionError(
                f"no champion in {Path(registry_dir) / POINTER_FILE}: promote a model first "
                "(`prunegate promote ...`), or serve a file with PRUNEGATE_MODEL_PATH=path/to/model.pt"
            )
        try:
            initial, failed = loader(champion), None
        except Exception as error:  # the store says why: checksum, missing file, runtime smoke test
            reason = f"{type(error).__name__}: {error}"
            if pointer.previous is None:
                raise ModelLoadError(
                    f"the champion {champion} cannot be loaded ({reason}) and there is no previous champion: "
                    "promote a verified model (`make run`, `make promote`)"
                ) from error
            try:
                initial, failed = loader(pointer.previous), champion
            except Exception as previous_error:
                raise ModelLoadError(
                    f"neither the champion {champion} ({reason}) nor the previous champion "
                    f"{pointer.previous} ({type(previous_error).__name__}: {previous_error}) can be loaded: "
                    "promote a verified model"
                ) from error
            logger.error(
                "the champion %s cannot be loaded (%s): serving the previous champion %s instead; "
                "`make rollback` makes that official, or promote a verified model",
                champion,
                reason,
                pointer.previous,
            )
        holder = cls(initial, registry_dir=registry_dir, reload_interval_s=reload_interval_s, loader=loader)
        if failed is not None:
            holder._failed.add((failed, holder._seen))  # not retried until the pointer file changes
            holder.unserved = (failed, reason)
        return holder

    @classmethod
    def fixed(cls, model: LoadedModel) -> ModelHolder:
        """Serve ``model`` and never reload."""
        return cls(model)

    @property
    def current(self) -> LoadedModel:
        return self._current

    @property
    def registry_champion(self) -> str | None:
        """The champion the registry names now (None for a fixed model): what should serve."""
        return read_pointer(self.registry_dir).champion if self.registry_dir is not None else None

    def check_for_update(self, *, force: bool = False) -> bool:
        """Swap in the pointer's champion if it changed; ``True`` when a new model now serves.

        At most one check runs at a time; without ``force`` a check within ``reload_interval_s`` of the
        previous one returns at once.
        """
        if self._pointer is None:
            return False
        if not force and time.monotonic() - self._last_check < self.reload_interval_s:
            return False
        if not self._check_lock.acquire(blocking=force):
            return False
        try:
            self._last_check = time.monotonic()
            signature = _signature(self._pointer)
            if signature == self._seen:
                return False
            self._seen = signature
            return self._follow(read_pointer(self.registry_dir).champion, signature)
        finally:
            self._check_lock.release()

    def _follow(self, champion: str | None, signature: Any) -> bool:
        current = self._current
        if champion is None:
            logger.error(
                "registry pointer %s names no champion; still serving %s",
                self._pointer,
                current.tag or current.version,
            )
            return False
        if champion == current.tag or (champion, signature) in self._failed:
            return False
        try:
            loaded = self._loader(champion)
        except Exception as error:  # any failure to load must leave the current model serving
            self._failed.add((champion, signature))
            self.unserved = (champion, f"{type(error).__name__}: {error}")
            logger.error(
                "could not load new champion %s (%s: %s); still serving %s",
                champion,
                type(error).__name__,
                error,
                current.tag or current.version,
            )
            return False
        self._current = loaded  # one reference assignment: atomic for readers
        self.unserved = None
        logger.info(
            "hot reload: now serving %s (version %s, runtime %s), was %s",
            champion,
            loaded.version,
            loaded.runtime_name,
            current.tag or current.version,
        )
        return True

    def start(self) -> None:
        """Follow the pointer from a background thread (no-op for a fixed model)."""
        if self._pointer is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="model-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.reload_interval_s):
            self.check_for_update(force=True)
