"""A store version's record (BentoML's ``model.yaml``: labels and metadata) read only when it is intact.

The service takes a version's class names, feature names and ranges, runtime and file digests from its
record, so a damaged record would serve wrong answers with a valid model file (one flipped byte turned
the served label '0' into '7'). :func:`record_digest` is a SHA-256 over the labels and the metadata,
stored in the metadata at registration (``record_sha256``) and checked by :func:`read_record` before
anything in the record is used; a record without one, or one that BentoML cannot parse (truncated,
garbled YAML), is refused in one line naming the file.

The digest detects damage, and edits that do not rewrite it: an integrity check, not a signature
(someone who can rewrite the store can rewrite the digest as well as the files it covers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["RECORD_DIGEST", "VersionRecordError", "read_record", "record_digest"]

RECORD_DIGEST = "record_sha256"  # metadata key: SHA-256 of the labels and the rest of the metadata


class VersionRecordError(RuntimeError):
    """A store version whose record is missing, unreadable or altered since it was registered."""


def record_digest(labels: Mapping[str, Any], metadata: Mapping[str, Any]) -> str:
    """SHA-256 of ``labels`` and ``metadata`` (without its own digest), in a canonical JSON form."""
    content = {"labels": dict(labels), "metadata": {k: v for k, v in metadata.items() if k != RECORD_DIGEST}}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def read_record(tag: str, model_store: Any = None) -> Any:
    """The BentoML model ``tag`` (from ``model_store``, default the configured store), its record checked.

    Raises:
        LookupError: ``tag`` is not in the store.
        VersionRecordError: its ``model.yaml`` cannot be parsed, has no digest or does not match it.
    """
    import bentoml

    try:
        stored = model_store.get(tag) if model_store is not None else bentoml.models.get(tag)
    except bentoml.exceptions.NotFound as error:
        raise LookupError(str(error)) from None
    except Exception as error:  # yaml, cattrs (an ExceptionGroup of field errors), OS errors
        raise VersionRecordError(
            f"model {tag}: its record (model.yaml) cannot be read ({_first_line(error)}); it was damaged "
            "after registration: package the model again (make run) rather than serve it"
        ) from None
    labels, metadata = dict(stored.info.labels), dict(stored.info.metadata)
    recorded = metadata.get(RECORD_DIGEST)
    if recorded is None:
        raise VersionRecordError(
            f"model {tag}: its record (model.yaml) has no {RECORD_DIGEST}: registered by an older prunegate "
            "or edited, it cannot be checked; package the model again (make run)"
        )
    if recorded != record_digest(labels, metadata):
        raise VersionRecordError(
            f"model {tag}: its record (model.yaml, {stored.path}) differs from the one registered "
            f"({RECORD_DIGEST} does not match its labels and metadata); refusing to use it"
        )
    return stored


def _first_line(error: BaseException) -> str:
    leaves = getattr(error, "exceptions", None)
    if leaves:  # an ExceptionGroup: its first leaf says what is wrong
        return _first_line(leaves[0])
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
