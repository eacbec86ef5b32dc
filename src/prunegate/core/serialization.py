"""Model artifacts without pickle: architecture reference + pruning history + state dict + metadata.

The architecture reference is the model's spec (a zoo architecture, or the user's factory and its kwargs);
the pruning history is Torch-Pruning's JSON record of every structural cut, replayed on the freshly built
architecture before the state dict is loaded (:mod:`prunegate.core.pruning.history`). Models pruned by
the older spec-rewriting surgery have an empty history and a spec with the new widths.

The file is a ``torch.save`` of plain containers (dicts, lists, strings, numbers, tensors), so it loads
with ``torch.load(weights_only=True)`` and never executes code. The checksum is a SHA-256 over the
*content* (spec, metadata, every tensor's name, dtype, shape and bytes), stored in the file and checked on
load: a flipped bit or a truncated file is refused with :class:`ModelArtifactError`. Writes are atomic (a
temporary file in the same directory, fsync, then ``os.replace``), so a crash never leaves half a model.

A user model's spec names its factory (``package.module:callable``), which building the model imports
and calls. A file is not trusted to name code: :func:`load_artifact` refuses a factory that is neither
stored with the model (``code_dir``), nor a module of the project, nor allow-listed
(:func:`prunegate.core.models.factory.check_factory_reference`), so a crafted file cannot make the
loader run ``os:system``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunegate.core.models import FactorySpec, ModelSpec, build_model, spec_from_dict, spec_to_dict
from prunegate.core.models.factory import UntrustedFactoryError, check_factory_reference, top_level_module
from prunegate.core.pruning.history import PruningHistory, check_history, replay_pruning

__all__ = [
    "FORMAT_VERSION",
    "ModelArtifact",
    "ModelArtifactError",
    "content_checksum",
    "load_artifact",
    "save_artifact",
]

FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)  # version 1: no pruning history


class ModelArtifactError(RuntimeError):
    """A model file that is missing, unreadable, of an unknown format or whose checksum does not match."""


@dataclass
class ModelArtifact:
    """Everything needed to rebuild a trained model, with no code inside.

    ``metadata`` holds plain JSON-able facts: class names, feature names, input shape, training info.
    ``pruning_history`` is replayed on ``build_model(spec)`` before the weights are loaded.
    """

    spec: ModelSpec
    state_dict: dict[str, torch.Tensor]
    metadata: dict[str, Any] = field(default_factory=dict)
    pruning_history: PruningHistory = field(default_factory=list)

    @classmethod
    def from_module(
        cls,
        module: nn.Module,
        spec: ModelSpec,
        metadata: dict[str, Any] | None = None,
        pruning_history: PruningHistory | None = None,
    ):
        state = {key: value.detach().cpu().clone() for key, value in module.state_dict().items()}
        return cls(
            spec=spec,
            state_dict=state,
            metadata=dict(metadata or {}),
            pruning_history=check_history(list(pruning_history or [])),
        )

    def build_module(self) -> nn.Module:
        """The model in eval mode with these weights (strict: every key and shape must match)."""
        module = build_model(self.spec)
        replay_pruning(module, torch.zeros(1, self.spec.in_features), self.pruning_history)
        module.load_state_dict(self.state_dict, strict=True)
        return module.eval()

    @property
    def checksum(self) -> str:
        return content_checksum(self.spec, self.state_dict, self.metadata, self.pruning_history)


def content_checksum(
    spec: ModelSpec,
    state_dict: dict[str, torch.Tensor],
    metadata: dict[str, Any],
    pruning_history: PruningHistory | None = None,
) -> str:
    """SHA-256 of the artifact's content, independent of how torch lays out the file."""
    digest = hashlib.sha256()
    header: dict[str, Any] = {"spec": spec_to_dict(spec), "metadata": metadata}
    if pruning_history:  # absent for unpruned models, so their checksum is the same as in format 1
        header["pruning_history"] = pruning_history
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


_NEW_FILE_MODE = 0o666


def _umask() -> int:
    """The process's umask (read by setting it, then restoring it)."""
    current = os.umask(0)
    os.umask(current)
    return current


def save_artifact(artifact: ModelArtifact, path: str | os.PathLike[str]) -> str:
    """Write ``artifact`` atomically to ``path``; returns the checksum stored with it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    checksum = artifact.checksum
    payload = {
        "format_version": FORMAT_VERSION,
        "spec": spec_to_dict(artifact.spec),
        "state_dict": artifact.state_dict,
        "metadata": artifact.metadata,
        "pruning_history": artifact.pruning_history,
        "checksum": checksum,
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp_file:
            temp_file.write(buffer.getvalue())
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.chmod(temp_name, _NEW_FILE_MODE & ~_umask())  # mkstemp's 0600 -> what open() would give
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return checksum


def load_artifact(
    path: str | os.PathLike[str],
    *,
    code_dir: Path | None = None,
    trusted_modules: tuple[str, ...] = (),
) -> ModelArtifact:
    """Load and verify an artifact written by :func:`save_artifact` (``weights_only=True``).

    Args:
        path: the model file.
        code_dir: the verified ``code/`` folder stored with the model: a user model's factory must be
            there (a stored version imports only its own code).
        trusted_modules: top-level modules the caller vouches for (the code about to be stored with it).

    Raises:
        ModelArtifactError: missing, unreadable, of an unknown layout, a checksum that does not match, or
            a factory reference that may not be imported here (named in the message).
    """
    source = Path(path)
    if not source.is_file():
        raise ModelArtifactError(f"model file {source} does not exist")
    size = source.stat().st_size
    if size == 0:
        raise ModelArtifactError(f"model file {source} is empty (0 bytes): it was never fully written")
    try:
        payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated/garbled files
        reason = str(error).strip() or type(error).__name__
        raise ModelArtifactError(
            f"model file {source} ({size} bytes) is unreadable or corrupt (truncated or not a prunegate "
            f"model file): {reason}"
        ) from error
    if not isinstance(payload, dict) or payload.get("format_version") not in _READABLE_VERSIONS:
        found = payload.get("format_version") if isinstance(payload, dict) else type(payload).__name__
        raise ModelArtifactError(
            f"model file {source} is not a prunegate artifact of format {FORMAT_VERSION} (found {found!r})"
        )
    try:
        artifact = ModelArtifact(
            spec=spec_from_dict(payload["spec"]),
            state_dict=payload["state_dict"],
            metadata=payload.get("metadata", {}),
            pruning_history=check_history(payload.get("pruning_history", [])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ModelArtifactError(f"model file {source} has an invalid layout: {error}") from error
    expected = payload.get("checksum")
    actual = artifact.checksum
    if expected != actual:
        raise ModelArtifactError(
            f"checksum mismatch for {source}: stored {expected}, computed {actual}; refusing to load"
        )
    factory = artifact.spec.factory if isinstance(artifact.spec, FactorySpec) else None
    if factory is not None and top_level_module(factory) not in trusted_modules:
        try:
            check_factory_reference(factory, code_dir=code_dir)
        except UntrustedFactoryError as error:
            raise ModelArtifactError(f"model file {source}: {error}") from None
    return artifact
