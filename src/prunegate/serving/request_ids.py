"""Signed request ids: ``/feedback`` accepts labels only for requests this service really answered.

A request id carries when it was issued, how many rows the request had and a random nonce, signed with
an HMAC-SHA256 (RFC 2104) key::

    <issued, unix seconds, hex>.<rows, hex>.<nonce, 12 hex>.<MAC, 20 hex>     e.g. 6946f1a2.1.9c0f3e2a7b11.…

Any worker (and any later server process) holding the key can tell from the id alone that it was
issued, when, and for how many rows, without a shared table on the ``/predict`` path (which stays at
one HMAC, ~2 µs). A made-up or edited id fails the MAC check. The rows of a multi-row request are
logged as ``<request id>/<row>``; :func:`parse_row_id` splits such an id.

The key is ``PRUNEGATE_REQUEST_ID_KEY`` (hex, for several hosts behind one load balancer), else the
file ``<monitoring_dir>/request_id.key``, created on first use (mode 0600, created atomically, so
workers starting together agree on one key). Deleting the file invalidates every id issued so far.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KEY_ENV", "KEY_FILE", "IssuedRequest", "RequestIdSigner", "parse_row_id"]

KEY_ENV = "PRUNEGATE_REQUEST_ID_KEY"
KEY_FILE = "request_id.key"
KEY_BYTES = 32
NONCE_HEX = 12
MAC_HEX = 20  # 80 bits of the HMAC: forging one id takes ~2^80 tries
PARTS = 4
ROW_SEPARATOR = "/"


@dataclass(frozen=True)
class IssuedRequest:
    """What a valid request id says about its request."""

    request_id: str
    issued_at: float  # unix seconds
    rows: int


class RequestIdSigner:
    """Issues and verifies request ids (see the module docstring)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES // 2:
            raise ValueError(f"a request-id key needs at least {KEY_BYTES // 2} bytes, got {len(key)}")
        self._key = key

    @classmethod
    def for_folder(cls, folder: Path) -> RequestIdSigner:
        """The signer with the key from ``PRUNEGATE_REQUEST_ID_KEY``, else ``folder/request_id.key``."""
        if configured := os.environ.get(KEY_ENV):
            try:
                return cls(bytes.fromhex(configured))
            except ValueError as error:
                raise ValueError(f"{KEY_ENV} must be a hex string of at least 16 bytes: {error}") from None
        return cls(_key_file(Path(folder) / KEY_FILE))

    def issue(self, rows: int, now: float | None = None) -> str:
        """A new id for a request of ``rows`` rows answered at ``now`` (default: the current time)."""
        issued = int(time.time() if now is None else now)
        body = f"{issued:x}.{rows:x}.{secrets.token_hex(NONCE_HEX // 2)}"
        return f"{body}.{self._mac(body)}"

    def verify(self, request_id: str) -> IssuedRequest | None:
        """What ``request_id`` says, or ``None`` when this key did not issue it (made up, edited, old key)."""
        parts = request_id.split(".")
        if len(parts) != PARTS or not request_id.isascii():  # compare_digest takes ASCII text only
            return None
        body, mac = request_id.rpartition(".")[::2]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        issued, rows = int(parts[0], 16), int(parts[1], 16)
        return IssuedRequest(request_id=request_id, issued_at=float(issued), rows=rows)

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:MAC_HEX]


def parse_row_id(row_id: str) -> tuple[str, int | None]:
    """``"<request id>/<row>"`` -> ``(request id, row)``; a plain request id -> ``(request id, None)``.

    A row part that is not a non-negative decimal number leaves the id whole (it will not verify).
    """
    base, separator, row = row_id.rpartition(ROW_SEPARATOR)
    if separator and row.isdigit() and row.isascii():
        return base, int(row)
    return row_id, None


def _key_file(path: Path) -> bytes:
    """The key in ``path``, written first (atomically: link of a finished temp file) when missing."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES))
        try:
            os.link(temporary, path)  # fails if another worker was first: its key is used
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    text = path.read_text().strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path} is not a hex key; delete it to make a new one") from None
