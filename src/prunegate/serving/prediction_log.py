"""Append-only JSON-lines logs of every predicted row and of the feedback, written off the request path.

Layout (read by :mod:`prunegate.monitoring.traffic`)::

    <monitoring_dir>/predictions/<UTC date>.jsonl   one line per predicted row:
        {"request_id", "timestamp", "model_version", "features": {name: value},
         "prediction", "probabilities": {class: p}}
    <monitoring_dir>/feedback.jsonl                 one line per label:
        {"request_id", "label", "timestamp"}

A request only appends the arrays it already has to an in-memory buffer (microseconds, under a lock);
a background thread turns them into JSON lines and writes them every ``flush_interval_s`` or as soon as
``flush_rows`` rows are waiting, and :meth:`PredictionLogger.close` writes the rest. Each file has one
handle kept open (the predictions handle moves to a new file when the UTC date changes); each flush is
one unbuffered ``write`` in append mode, so lines of two processes appending to the same file (several
BentoML workers) do not interleave mid-line on a local file system.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import numpy as np
import orjson

__all__ = ["DEFAULT_FLUSH_INTERVAL_S", "DEFAULT_FLUSH_ROWS", "PredictionLogger"]

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_INTERVAL_S = 0.1
DEFAULT_FLUSH_ROWS = 1024
PREDICTIONS_DIR = "predictions"
FEEDBACK_FILE = "feedback.jsonl"


@dataclass(frozen=True)
class _Predictions:
    """One request's rows, kept as arrays until the writer thread formats them."""

    at: datetime
    row_ids: Sequence[str]
    model_version: str
    feature_names: Sequence[str]
    features: np.ndarray
    predictions: Sequence[str]
    class_names: Sequence[str]
    probabilities: np.ndarray

    def lines(self) -> list[bytes]:
        """One JSON line per row, by orjson: ~4x faster than ``json`` (26 -> 7 ms per 500 rows here),
        which matters because the writer thread holds the GIL while formatting (request tail latency).
        """
        stamp = self.at.isoformat()
        lines = []
        for row_id, values, prediction, probabilities in zip(
            self.row_ids, self.features.tolist(), self.predictions, self.probabilities.tolist(), strict=True
        ):
            record = {
                "request_id": row_id,
                "timestamp": stamp,
                "model_version": self.model_version,
                "features": dict(zip(self.feature_names, values, strict=True)),
                "prediction": prediction,
                "probabilities": dict(zip(self.class_names, probabilities, strict=True)),
            }
            lines.append(orjson.dumps(record))
        return lines


class PredictionLogger:
    """Buffered, thread-safe writer of the prediction and feedback logs (see the module docstring).

    Args:
        monitoring_dir: root folder of the logs (created if missing).
        flush_interval_s: the writer thread flushes at least this often.
        flush_rows: the writer thread is woken as soon as this many rows wait.
    """

    def __init__(
        self,
        monitoring_dir: Path,
        *,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        flush_rows: int = DEFAULT_FLUSH_ROWS,
    ) -> None:
        self.monitoring_dir = Path(monitoring_dir)
        (self.monitoring_dir / PREDICTIONS_DIR).mkdir(parents=True, exist_ok=True)
        self._interval = flush_interval_s
        self._flush_rows = flush_rows
        self._lock = threading.Lock()  # guards the buffers
        self._write_lock = threading.Lock()  # one writer at a time (thread, flush(), close())
        self._predictions: list[_Predictions] = []
        self._feedback: list[bytes] = []
        self._waiting_rows = 0
        self._handle: IO[bytes] | None = None
        self._handle_date: str | None = None
        self._feedback_handle: IO[bytes] | None = None
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._thread.start()

    def log_predictions(
        self,
        *,
        row_ids: Sequence[str],
        model_version: str,
        feature_names: Sequence[str],
        features: np.ndarray,
        predictions: Sequence[str],
        class_names: Sequence[str],
        probabilities: np.ndarray,
    ) -> None:
        """Queue one request's rows (``features`` N x D, ``probabilities`` N x C) for writing."""
        entry = _Predictions(
            datetime.now(UTC),
            row_ids,
            model_version,
            feature_names,
            features,
            predictions,
            class_names,
            probabilities,
        )
        with self._lock:
            self._predictions.append(entry)
            self._waiting_rows += len(row_ids)
            full = self._waiting_rows >= self._flush_rows
        if full:
            self._wake.set()

    def log_feedback(self, request_ids: Sequence[str], labels: Sequence[str]) -> None:
        """Queue one feedback line per ``(request_id, label)``."""
        stamp = datetime.now(UTC).isoformat()
        lines = [
            orjson.dumps({"request_id": request_id, "label": label, "timestamp": stamp})
            for request_id, label in zip(request_ids, labels, strict=True)
        ]
        with self._lock:
            self._feedback.extend(lines)

    def flush(self) -> None:
        """Write everything queued so far (also called by the writer thread)."""
        with self._write_lock:  # taken first, so batches reach the file in the order they were queued
            with self._lock:
                predictions, self._predictions = self._predictions, []
                feedback, self._feedback = self._feedback, []
                self._waiting_rows = 0
            self._write_predictions(predictions)
            if feedback:
                self._feedback_file().write(_text(feedback))

    def close(self) -> None:
        """Stop the writer thread, write what is left and close the files (idempotent)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._wake.set()
        self._thread.join()
        self.flush()
        with self._write_lock:
            for handle in (self._handle, self._feedback_handle):
                if handle is not None:
                    handle.close()
            self._handle = self._feedback_handle = None

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except (OSError, TypeError, ValueError):
                logger.exception("could not write the prediction log under %s", self.monitoring_dir)

    def _write_predictions(self, entries: list[_Predictions]) -> None:
        by_date: dict[str, list[bytes]] = {}
        for entry in entries:
            by_date.setdefault(entry.at.date().isoformat(), []).extend(entry.lines())
        for date, lines in by_date.items():
            self._predictions_file(date).write(_text(lines))

    def _predictions_file(self, date: str) -> IO[bytes]:
        if self._handle is None or self._handle_date != date:
            if self._handle is not None:
                self._handle.close()
            path = self.monitoring_dir / PREDICTIONS_DIR / f"{date}.jsonl"
            self._handle = _open_on_a_fresh_line(path)
            self._handle_date = date
        return self._handle

    def _feedback_file(self) -> IO[bytes]:
        if self._feedback_handle is None:
            self._feedback_handle = _open_on_a_fresh_line(self.monitoring_dir / FEEDBACK_FILE)
        return self._feedback_handle


def _open_on_a_fresh_line(path: Path) -> IO[bytes]:
    """``path`` opened for unbuffered appends, after ending a half-written last line (a killed writer).

    Otherwise the next write would be glued to the partial line and the reader would drop both: the
    partial line stays unreadable, but everything served from now on is kept.
    """
    handle = path.open("ab", buffering=0)
    if handle.tell() > 0:
        with path.open("rb") as reader:
            reader.seek(-1, os.SEEK_END)
            if reader.read(1) != b"\n":
                handle.write(b"\n")
    return handle


def _text(lines: list[bytes]) -> bytes:
    """The lines as one UTF-8 block, written with a single unbuffered ``write`` (one system call)."""
    return b"\n".join(lines) + b"\n"
