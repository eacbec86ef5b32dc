"""A small async HTTP load generator: N concurrent clients posting for a fixed time, loopback only.

Each client sends one request at a time (closed loop: the next starts when the previous answered), so
N clients keep at most N requests in flight. A run is bounded three ways: by its duration, by a total
request cap, and by a per-request timeout. Latency is measured per request on the client
(``time.perf_counter`` around the POST), so it includes queueing in the server and in this process.

Why not locust (which BentoML's examples use): locust keeps response times rounded to whole
milliseconds below 100 ms (``StatsEntry._log_response_time``: ``round(response_time)``) and computes its
percentiles from those, while this service answers in 1-3 ms: a p50 of 1.4 ms would read 1 ms, and the
dense-vs-compressed ratios this benchmark reports would be quantised away. This generator keeps every
latency at full resolution; it is one ``httpx.AsyncClient`` and ~150 lines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np

__all__ = ["LoadResult", "LoadSettings", "run_load"]

logger = logging.getLogger(__name__)

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_HTTP_OK = 200
_MS_PER_S = 1000.0
_P50, _P99 = 50, 99
_KEPT_ERRORS = 5  # error messages kept per run (all are counted)
_JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class LoadSettings:
    """How one load run is shaped.

    Attributes:
        clients: concurrent clients, each with one request in flight at a time.
        duration_s: measured time; requests started after it are not sent.
        warmup_s: time before the measurement starts (requests sent, not counted).
        max_requests: the most requests one run (warm-up included) may send.
        timeout_s: per-request timeout; a request that times out counts as an error.
    """

    clients: int
    duration_s: float
    warmup_s: float
    max_requests: int
    timeout_s: float


@dataclass
class LoadResult:
    """Counts and latencies of the measured part of one run."""

    clients: int
    seconds: float = 0.0
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    error_examples: list[str] = field(default_factory=list)
    capped: bool = False

    def summary(self) -> dict[str, Any]:
        """Throughput (successful requests per second), p50/p99 latency (ms), errors."""
        latencies = np.asarray(self.latencies_ms)
        has = latencies.size > 0
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "errors": self.errors,
            "req_per_s": (self.requests - self.errors) / self.seconds if self.seconds else 0.0,
            "p50_ms": float(np.percentile(latencies, _P50)) if has else None,
            "p99_ms": float(np.percentile(latencies, _P99)) if has else None,
            "capped": self.capped,
            "error_examples": list(self.error_examples),
        }


class _Run:
    """Shared state of the clients of one run (one event loop: no locks needed)."""

    def __init__(self, settings: LoadSettings) -> None:
        self.settings = settings
        self.sent = 0
        self.result = LoadResult(settings.clients)
        self.measure_from = 0.0
        self.stop_at = 0.0

    def may_send(self) -> bool:
        if self.sent >= self.settings.max_requests:
            self.result.capped = True
            return False
        return time.perf_counter() < self.stop_at

    def record(self, started: float, latency_ms: float, error: str | None) -> None:
        if started < self.measure_from:
            return  # warm-up
        self.result.requests += 1
        if error is None:
            self.result.latencies_ms.append(latency_ms)
            return
        self.result.errors += 1
        if len(self.result.error_examples) < _KEPT_ERRORS:
            self.result.error_examples.append(error)


async def _client(run: _Run, url: str, payloads: Sequence[bytes], first: int) -> None:
    """One client: its own connection (a shared pool serialises 32 clients on its lock), one request
    in flight at a time."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(timeout=run.settings.timeout_s, limits=limits) as client:
        await _requests(run, client, url, payloads, first)


async def _requests(run: _Run, client: httpx.AsyncClient, url: str, payloads: Sequence[bytes], first: int):
    index = first
    while run.may_send():
        run.sent += 1
        payload = payloads[index % len(payloads)]
        index += 1
        started = time.perf_counter()
        error = None
        try:
            response = await client.post(url, content=payload, headers=_JSON)
            if response.status_code != _HTTP_OK:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        run.record(started, (time.perf_counter() - started) * _MS_PER_S, error)


async def _run_load(url: str, payloads: Sequence[bytes], settings: LoadSettings) -> LoadResult:
    run = _Run(settings)
    run.measure_from = time.perf_counter() + settings.warmup_s
    run.stop_at = run.measure_from + settings.duration_s
    step = max(1, len(payloads) // settings.clients)  # clients start at different rows
    await asyncio.gather(*[_client(run, url, payloads, i * step) for i in range(settings.clients)])
    # requests started before stop_at may finish after it: the measured time ends with the last one
    run.result.seconds = max(time.perf_counter(), run.stop_at) - run.measure_from
    return run.result


def run_load(url: str, payloads: Sequence[bytes], settings: LoadSettings) -> LoadResult:
    """POST ``payloads`` (JSON bytes, cycled) to ``url`` from ``settings.clients`` concurrent clients.

    Raises:
        ValueError: ``url`` is not on a loopback host, or there are no payloads or clients.
    """
    host = urlparse(url).hostname
    if host not in _LOOPBACK_HOSTS:
        raise ValueError(f"refusing to load {host!r}: loopback only")
    if not payloads or settings.clients < 1:
        raise ValueError("need at least one payload and one client")
    result = asyncio.run(_run_load(url, payloads, settings))
    logger.info("%s with %d clients: %s", url, settings.clients, result.summary())
    return result
