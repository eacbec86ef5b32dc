"""Refuse request bodies the JSON routes cannot take, before anything reads or parses them.

Without it, ``multipart/form-data`` on ``/predict`` ended in a 500 with three chained tracebacks, a
form-urlencoded body got a 400 whose "field" was the whole body, and a 16.7 MB body was parsed in full.
This ASGI middleware answers, for a POST to one of ``routes``:

- 415 when the content type is not ``application/json``, naming the expected type;
- 411 when the body has no ``Content-Length`` (chunked uploads cannot be bounded before reading);
- 413 when ``Content-Length`` is over ``max_body_bytes`` (``serving.max_body_bytes``).

Every answer is JSON ``{"error": "..."}``, like the service's other client errors (the published
spec's ``ClientError``, :mod:`~prunegate.serving.openapi_spec`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

__all__ = ["RequestGuard"]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON_TYPE = b"application/json"


class RequestGuard:
    """ASGI middleware: 415 / 411 / 413 for unusable bodies on the JSON routes (see the module docstring)."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, routes: Iterable[str], max_body_bytes: int):
        self.app = app
        self.routes = frozenset(routes)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = (
            scope.get("type") == "http" and scope.get("method") == "POST" and scope.get("path") in self.routes
        )
        problem = self._problem(scope) if guarded else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        body = json.dumps({"error": message}).encode()
        headers = [(b"content-type", JSON_TYPE), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _problem(self, scope: Scope) -> tuple[int, str] | None:
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
        return None
