"""Two changes to BentoML 1.4's request middlewares: a timer leak fixed, and bodies read before a slot.

**The request guard outside the concurrency limit.** A service's own ASGI middlewares
(``add_asgi_middleware``) run inside BentoML's ``MaxConcurrencyMiddleware``: a client trickling a body
holds one of the ``max_concurrency`` slots while it does (64 such connections made every other request
get 429). :func:`guard_requests` makes the concurrency middleware BentoML builds a
:class:`~prunegate.serving.request_guard.RequestGuard` in front of the limit: the body is read (under its
own deadline) before a slot is taken. Like the fix below, it is checked against the 1.4 class and left
alone (with a warning, returning False) when BentoML changes it; the caller then adds the guard as an
ordinary service middleware.

**The timer leak** (BentoML 1.4's request-timeout middleware: the cause of its p99 tail under
concurrency).

``bentoml._internal.server.http.traffic.TimeoutMiddleware`` (the ``traffic.timeout`` setting) starts a
``loop.call_later(timeout, ...)`` timer per request and never cancels it. Each timer keeps its request's
``contextvars`` context alive for ``timeout`` seconds (30 s here), with the request's OpenTelemetry span
(~20 GC-tracked objects per request). At ~1k requests/s that is several hundred thousand live objects,
so Python's cyclic GC runs full collections every few seconds, each stopping the event loop for
100-300 ms with every in-flight request waiting: measured inside a worker at 32 clients, 4 full
collections in 20 s of 161-265 ms each (p99 317 ms where a bare FastAPI app doing the same work had
122 ms, on a loaded machine). :class:`TimerCancellingTimeoutMiddleware` is the same middleware (same
504 after ``timeout`` seconds without a response start) that cancels its timer once the response starts.

:func:`apply` swaps it in; BentoML looks the class up when it builds the app, i.e. after the service
module is imported. It is checked against the shape of the 1.4 class and left alone (with a warning)
when BentoML changes it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["TimerCancellingTimeoutMiddleware", "apply", "guard_requests"]

logger = logging.getLogger(__name__)

GATEWAY_TIMEOUT = 504


class TimerCancellingTimeoutMiddleware:
    """BentoML's ``TimeoutMiddleware``, its timer cancelled when the response starts (module docstring)."""

    def __init__(self, app: Any, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    @staticmethod
    def _time_out(waiter: asyncio.Future[Any]) -> None:
        if not waiter.done():
            waiter.set_exception(TimeoutError)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        timer = loop.call_later(self.timeout, self._time_out, waiter)

        async def send_and_stop_the_timer(message: Any) -> None:
            if not waiter.done():
                waiter.set_result(None)
                timer.cancel()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, send_and_stop_the_timer))
        try:
            await waiter
        except TimeoutError:
            if task.cancel():
                message = f"Not able to process the request in {self.timeout} seconds"
                await JSONResponse({"error": message}, status_code=GATEWAY_TIMEOUT)(scope, receive, send)
        else:
            await task
        finally:
            timer.cancel()
        return None


def apply() -> bool:
    """Put :class:`TimerCancellingTimeoutMiddleware` in place of BentoML's; whether it was applied."""
    from bentoml._internal.server.http import traffic

    original = traffic.TimeoutMiddleware
    if original is TimerCancellingTimeoutMiddleware:
        return True
    if not hasattr(original, "_set_timer_out"):  # not the 1.4 class this fix was written against
        logger.warning("BentoML's TimeoutMiddleware changed: its timer-leak fix is not applied")
        return False
    traffic.TimeoutMiddleware = TimerCancellingTimeoutMiddleware
    return True


def guard_requests(**guard_options: Any) -> bool:
    """Put a ``RequestGuard(**guard_options)`` in front of BentoML's concurrency limit; whether it was.

    BentoML imports ``MaxConcurrencyMiddleware`` from its module when it builds the app (in each worker,
    after the service module is imported), so replacing the module's class is enough.
    """
    from bentoml._internal.server.http import traffic

    from prunegate.serving.request_guard import RequestGuard

    original = traffic.MaxConcurrencyMiddleware
    if getattr(original, "guard_options", None) is not None:
        original.guard_options = guard_options
        return True
    if not hasattr(original, "BYPASS_PATHS"):  # not the 1.4 class this was written against
        logger.warning("BentoML's MaxConcurrencyMiddleware changed: slow bodies hold concurrency slots")
        return False

    class GuardedMaxConcurrencyMiddleware(original):
        """BentoML's concurrency limit, behind the request guard: a body is read before a slot is taken."""

        def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(app, *args, **kwargs)
            self._guard = RequestGuard(super().__call__, **type(self).guard_options)

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self._guard(scope, receive, send)

    GuardedMaxConcurrencyMiddleware.guard_options = guard_options
    traffic.MaxConcurrencyMiddleware = GuardedMaxConcurrencyMiddleware
    return True
