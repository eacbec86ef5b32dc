"""Refuse request bodies the JSON routes cannot take, and read the rest completely before the service.

Without it, ``multipart/form-data`` on ``/predict`` ended in a 500 with three chained tracebacks, a
form-urlencoded body got a 400 whose "field" was the whole body, and a 16.7 MB body was parsed in full.
A client that sent the headers of a 1,000-byte body and then 10 bytes held a request slot for the whole
request timeout (30 s): 64 such connections, one client with no bandwidth, made every well-behaved
``/predict`` get 429, and a body shorter than its ``Content-Length`` got a 504 after 30 s; a client that
went away mid-body left an ERROR with a 19-line traceback.

This ASGI middleware answers, for a POST to one of ``routes``:

- what a ``header_check`` says first (e.g. 401 / 403 for ``/feedback`` without the labeller token,
  :mod:`prunegate.serving.labeller_credential`), before any byte of the body is read;
- 415 when the content type is not ``application/json``, naming the expected type;
- 411 when the body has no ``Content-Length`` (chunked uploads cannot be bounded before reading);
- 413 when ``Content-Length`` is over ``max_body_bytes`` (``serving.max_body_bytes``);
- 408 when the whole body has not arrived within ``body_timeout_s`` (``serving.body_timeout_s``), and 400
  when it ends short of or beyond its ``Content-Length``;
- 400 when the body is not JSON, repeats a key in an object (``{"rows": .., "rows": ..}``: the last one
  would win silently), or has a top-level key the route does not take (``known_keys``, from the
  routes' request models): one rule and one message for every route.

It reads the body itself, under that deadline, and hands the service the complete body. It is placed
outside BentoML's concurrency limit (:func:`prunegate.serving.bentoml_patches.guard_requests`), so a
slow body waits here without holding one of the ``max_concurrency`` slots. A client that disconnects
mid-body is one INFO line. Every answer is JSON ``{"error": "..."}``, like the service's other client
errors (the published spec's ``ClientError``, :mod:`~prunegate.serving.openapi_spec`), and closes the
connection (the rest of a refused body is never read).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = ["DuplicateKeyError", "RequestGuard", "reject_duplicate_keys"]

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON_TYPE = b"application/json"
_DISCONNECTED = object()


class DuplicateKeyError(ValueError):
    """A JSON object with the same key twice."""


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` ``object_pairs_hook`` that refuses a repeated key instead of keeping the last."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


class RequestGuard:
    """ASGI middleware for the JSON routes' bodies (see the module docstring)."""

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        *,
        routes: Iterable[str],
        max_body_bytes: int,
        body_timeout_s: float = 5.0,
        header_checks: Sequence[Callable[[Scope], tuple[int, str] | None]] = (),
        known_keys: Mapping[str, Iterable[str]] | None = None,
    ):
        self.app = app
        self.routes = frozenset(routes)
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.header_checks = tuple(header_checks)
        self.known_keys = {route: frozenset(keys) for route, keys in (known_keys or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = (
            scope.get("type") == "http" and scope.get("method") == "POST" and scope.get("path") in self.routes
        )
        if not guarded:
            await self.app(scope, receive, send)
            return
        problem = self._header_problem(scope)
        if problem is None:
            body = await self._read_body(scope, receive)
            if body is _DISCONNECTED:
                return
            problem = body if isinstance(body, tuple) else self._json_problem(scope["path"], body)
        if problem is not None:
            await _answer(send, *problem)
            return
        await self.app(scope, _replay(body, receive), send)

    def _header_problem(self, scope: Scope) -> tuple[int, str] | None:
        for check in self.header_checks:
            if (problem := check(scope)) is not None:
                return problem
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        path = scope["path"]
        if content_type != JSON_TYPE:
            shown = content_type.decode(errors="replace") or "no content type"
            return 415, f"{path} takes a JSON body (Content-Type: application/json), got {shown}"
        length = headers.get(b"content-length")
        if length is None:
            return 411, f"{path} needs a Content-Length (bodies are limited to {self.max_body_bytes} bytes)"
        try:
            size = int(length)
        except ValueError:
            return 400, f"{path}: Content-Length {length.decode(errors='replace')!r} is not a number"
        if size > self.max_body_bytes:
            return 413, (
                f"{path}: the body has {size} bytes, more than the {self.max_body_bytes} allowed "
                "(serving.max_body_bytes); send fewer rows per request"
            )
        if size < 0:
            return 400, f"{path}: Content-Length {size} is negative"
        scope["prunegate.content_length"] = size
        return None

    def _json_problem(self, path: str, body: bytes) -> tuple[int, str] | None:
        try:
            document = json.loads(body, object_pairs_hook=reject_duplicate_keys)
        except DuplicateKeyError as error:
            return 400, f"{path}: {error}; send each key once"
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            return 400, f"{path}: the body is not valid JSON: {error}"
        known = self.known_keys.get(path)
        if known is not None and isinstance(document, dict) and (unknown := sorted(set(document) - known)):
            listed = ", ".join(repr(key) for key in unknown)
            return 400, f"{path}: unknown key {listed} (it takes {', '.join(sorted(known))})"
        return None

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | tuple[int, str] | object:
        """The whole body, a problem (408 / 400), or ``_DISCONNECTED`` when the client went away."""
        path, expected = scope["path"], scope["prunegate.content_length"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        chunks: list[bytes] = []
        received = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(deadline - loop.time(), 0))
            except TimeoutError:
                return 408, (
                    f"{path}: the body did not arrive within {self.body_timeout_s:g} s "
                    f"(serving.body_timeout_s): {received} of its {expected} bytes came"
                )
            if message["type"] == "http.disconnect":
                client = (scope.get("client") or ("?",))[0]
                logger.info(
                    "client %s disconnected from %s after %d of %d body bytes",
                    client,
                    path,
                    received,
                    expected,
                )
                return _DISCONNECTED
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > expected:
                return 400, f"{path}: the body is longer than its Content-Length ({expected} bytes)"
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if received < expected:
            return 400, f"{path}: the body has {received} bytes, its Content-Length says {expected}"
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the service the whole body at once, then what the client sends next."""
    delivered = False

    async def replayed() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, for whoever listens for one

    return replayed


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [
        (b"content-type", JSON_TYPE),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
