"""Replay labelled rows as traffic to the prunegate service, and shift rows to simulate drift.

Everything here talks to a loopback URL only and every loop is bounded (by rows, by a deadline, or by a
request cap). :class:`SteadyTraffic` keeps requests flowing from a background thread while something
else happens (a hot swap), counting every failed request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np

from prunegate.serving.labeller_credential import TOKEN_ENV

__all__ = [
    "ReplayStats",
    "Shift",
    "SteadyTraffic",
    "clear_prediction_log",
    "count_feedback_lines",
    "count_logged_rows",
    "get_model",
    "replay",
    "shift_rows",
    "wait_for_logs",
    "wait_for_model",
]

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 10.0
POLL_S = 0.2
_HTTP_OK = 200
PREDICTIONS_DIR = "predictions"  # the layout of prunegate.serving.prediction_log
FEEDBACK_FILE = "feedback.jsonl"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _loopback(url: str) -> str:
    host = urlparse(url).hostname
    if host not in _LOOPBACK_HOSTS:
        raise ValueError(f"refusing to send traffic to {host!r}: loopback only")
    return url.rstrip("/")


@dataclass(frozen=True)
class Shift:
    """A simulated change of the input distribution (digits pixels, valid range ``[low, high]``).

    Attributes:
        brightness: added to every pixel.
        noise_sigma: standard deviation of the Gaussian noise added to every pixel.
        dead_pixel_fraction: share of pixels per row set to ``low`` (a sensor with dead cells).
        low: smallest valid value (results are clipped to it).
        high: largest valid value (results are clipped to it).
    """

    brightness: float
    noise_sigma: float
    dead_pixel_fraction: float
    low: float
    high: float


def shift_rows(rows: np.ndarray, shift: Shift, rng: np.random.Generator) -> np.ndarray:
    """``rows`` brighter, noisier and with a few dead pixels, clipped to the valid range."""
    shifted = rows.astype(np.float64) + shift.brightness + rng.normal(0.0, shift.noise_sigma, rows.shape)
    dead = rng.random(rows.shape) < shift.dead_pixel_fraction
    shifted[dead] = shift.low
    return np.clip(np.round(shifted, 3), shift.low, shift.high)


@dataclass
class ReplayStats:
    """What a replay sent and got back."""

    requests: int = 0
    rows: int = 0
    failed: int = 0
    correct: int = 0
    feedback_failed: int = 0
    versions: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        """Share of correct predictions among the rows answered."""
        answered = self.rows
        return self.correct / answered if answered else None

    def note_error(self, message: str, keep: int = 5) -> None:
        self.failed += 1
        if len(self.errors) < keep:
            self.errors.append(message)


def _send(client: httpx.Client, url: str, rows: np.ndarray, labels: list[str] | None, stats: ReplayStats):
    stats.requests += 1
    try:
        response = client.post(f"{url}/predict", json={"rows": rows.tolist()})
    except httpx.HTTPError as error:
        stats.note_error(f"{type(error).__name__}: {error}")
        return
    if response.status_code != _HTTP_OK:
        stats.note_error(f"HTTP {response.status_code}: {response.text[:200]}")
        return
    body = response.json()
    stats.rows += len(body["predictions"])
    stats.versions[body["model_version"]] += len(body["predictions"])
    if labels is None:
        return
    stats.correct += sum(p == t for p, t in zip(body["predictions"], labels, strict=True))
    labeller = {"Authorization": f"Bearer {os.environ.get(TOKEN_ENV, '')}"}  # the service's labeller token
    feedback = client.post(
        f"{url}/feedback", json={"request_id": body["request_id"], "label": labels}, headers=labeller
    )
    if feedback.status_code != _HTTP_OK:
        stats.feedback_failed += 1


def replay(url: str, rows: np.ndarray, labels: list[str] | None, *, batch_rows: int) -> ReplayStats:
    """Send ``rows`` in order, ``batch_rows`` per ``/predict`` request, each batch's labels to ``/feedback``.

    Args:
        url: the service (loopback).
        rows: ``N x D`` features.
        labels: the true class name of each row (``None``: no feedback).
        batch_rows: rows per request.

    Returns:
        Counts of requests, rows, failures and correct predictions, and the model versions that answered.
    """
    base = _loopback(url)
    stats = ReplayStats()
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for start in range(0, len(rows), batch_rows):
            batch_labels = None if labels is None else list(labels[start : start + batch_rows])
            _send(client, base, rows[start : start + batch_rows], batch_labels, stats)
    return stats


def get_model(url: str) -> dict[str, Any]:
    """``GET /model``: the version and store tag being served."""
    response = httpx.get(f"{_loopback(url)}/model", timeout=REQUEST_TIMEOUT_S)
    response.raise_for_status()
    return response.json()


def wait_for_model(url: str, tag: str, timeout_s: float) -> tuple[dict[str, Any], float]:
    """Poll ``GET /model`` until it serves ``tag``; returns the answer and the seconds it took.

    Raises:
        TimeoutError: ``tag`` was not served within ``timeout_s``.
    """
    started = time.monotonic()
    info: dict[str, Any] = {}
    while time.monotonic() - started < timeout_s:
        info = get_model(url)
        if info.get("tag") == tag:
            return info, time.monotonic() - started
        time.sleep(POLL_S)
    raise TimeoutError(f"the service still serves {info.get('tag')} after {timeout_s:.0f} s, not {tag}")


def _log_files(predictions_dir: Path) -> list[Path]:
    return sorted(predictions_dir.glob("*.jsonl")) if predictions_dir.is_dir() else []


def _complete_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open("rb") as log:
        return sum(1 for line in log if line.endswith(b"\n"))


def count_logged_rows(predictions_dir: Path) -> int:
    """Complete lines in the prediction log files."""
    return sum(_complete_lines(path) for path in _log_files(predictions_dir))


def count_feedback_lines(feedback_path: Path) -> int:
    """Complete lines in the feedback log."""
    return _complete_lines(feedback_path)


def wait_for_logs(
    monitoring_dir: Path, *, prediction_rows: int, feedback_lines: int, timeout_s: float
) -> tuple[int, int]:
    """Wait until the service's background writer has flushed at least this many rows and labels.

    Args:
        monitoring_dir: the service's ``monitoring_dir`` (``predictions/*.jsonl``, ``feedback.jsonl``).
        prediction_rows: rows expected in the prediction log.
        feedback_lines: lines expected in the feedback log.
        timeout_s: the longest wait.

    Raises:
        TimeoutError: fewer rows or labels were written within ``timeout_s``.
    """
    predictions, feedback = monitoring_dir / PREDICTIONS_DIR, monitoring_dir / FEEDBACK_FILE
    deadline = time.monotonic() + timeout_s
    while True:
        counts = count_logged_rows(predictions), count_feedback_lines(feedback)
        if counts[0] >= prediction_rows and counts[1] >= feedback_lines:
            return counts
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"after {timeout_s:.0f} s the service logged {counts[0]} rows / {counts[1]} labels, "
                f"not {prediction_rows} / {feedback_lines}"
            )
        time.sleep(POLL_S)


def clear_prediction_log(predictions_dir: Path, archive: Path) -> int:
    """Copy the prediction log to ``archive`` and truncate it in place (logrotate's copytruncate).

    The service keeps its log file open in append mode, so truncating it (rather than moving or
    deleting it) is safe: its next write lands at the start of the emptied file. Call it only once the
    writer has flushed (:func:`wait_for_logs`). Returns the number of bytes archived.
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    archived = 0
    with archive.open("ab") as target:
        for path in _log_files(predictions_dir):
            content = path.read_bytes()
            target.write(content)
            archived += len(content)
            with path.open("r+b") as log:
                log.truncate(0)
    return archived


class SteadyTraffic:
    """Requests (with labels) from a background thread until stopped: counts failures during a swap.

    Args:
        url: the service (loopback).
        rows: the rows to cycle through, one per request.
        labels: their class names.
        interval_s: pause between requests (keeps the volume small next to the monitored window).
        max_requests: hard cap on requests, whatever happens.
    """

    def __init__(
        self, url: str, rows: np.ndarray, labels: list[str], *, interval_s: float, max_requests: int
    ) -> None:
        self.url = _loopback(url)
        self.rows, self.labels = rows, labels
        self.interval_s, self.max_requests = interval_s, max_requests
        self.stats = ReplayStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="steady-traffic", daemon=True)

    def __enter__(self) -> SteadyTraffic:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> ReplayStats:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.stats

    def _run(self) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
            for index in range(self.max_requests):
                if self._stop.is_set():
                    break
                row = index % len(self.rows)
                _send(client, self.url, self.rows[row : row + 1], [self.labels[row]], self.stats)
                self._stop.wait(self.interval_s)
