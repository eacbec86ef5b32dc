"""The request-timeout middleware leaves no timer behind and still answers 504 to a slow app."""

import asyncio
import importlib.util

import pytest

from prunegate.serving import bentoml_patches
from prunegate.serving.bentoml_patches import TimerCancellingTimeoutMiddleware

REQUESTS = 200


def _bentoml_original():
    """BentoML's own class, loaded fresh from its file (the module attribute may already be patched)."""
    from bentoml._internal.server.http import traffic

    spec = importlib.util.spec_from_file_location("bentoml_traffic_original", traffic.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TimeoutMiddleware


async def _fast(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _slow(scope, receive, send):
    await asyncio.sleep(5)
    await _fast(scope, receive, send)


async def _pending_timers_after_requests(middleware_class) -> int:
    middleware = middleware_class(_fast, timeout=30)

    async def send(message):
        return None

    for _ in range(REQUESTS):
        await middleware({"type": "http"}, None, send)
    loop = asyncio.get_running_loop()
    return sum(not handle.cancelled() for handle in loop._scheduled)


@pytest.mark.parametrize(("middleware", "leaks"), [("original", True), ("patched", False)])
def test_answered_requests_leave_no_timer_behind(middleware, leaks):
    middleware_class = _bentoml_original() if middleware == "original" else TimerCancellingTimeoutMiddleware
    pending = asyncio.run(_pending_timers_after_requests(middleware_class))
    assert (pending >= REQUESTS) is leaks, pending  # BentoML's own class is the bug this fixes


def test_a_response_that_does_not_start_in_time_is_a_504():
    sent = []

    async def send(message):
        sent.append(message)

    asyncio.run(TimerCancellingTimeoutMiddleware(_slow, timeout=0.05)({"type": "http"}, None, send))
    assert sent[0]["status"] == 504 and b"0.05 seconds" in sent[1]["body"]


def test_it_replaces_bentomls_class_that_builds_the_app():
    from bentoml._internal.server.http import traffic

    assert bentoml_patches.apply()
    assert traffic.TimeoutMiddleware is TimerCancellingTimeoutMiddleware
