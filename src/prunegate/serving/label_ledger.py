"""Which served rows already have a label: one label per row id, across workers and restarts.

A SQLite table (``<monitoring_dir>/labelled_rows.sqlite3``, WAL journal) of labelled row ids with the
time their request was answered. :meth:`LabelLedger.claim` is all or nothing: in one ``BEGIN
IMMEDIATE`` transaction (a write lock, so two workers labelling the same row cannot both win) it
either records every row id of a ``/feedback`` request or, when any of them is already labelled,
records none and names those. Rows older than the retention window are deleted now and then: their
ids no longer verify (:mod:`prunegate.serving.request_ids` plus the age check), so they cannot be
labelled again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["LEDGER_FILE", "LabelLedger"]

logger = logging.getLogger(__name__)

LEDGER_FILE = "labelled_rows.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # another worker's transaction is waited for this long
PRUNE_EVERY = 1000  # claims between deletions of expired rows
_SCHEMA = "CREATE TABLE IF NOT EXISTS labelled (row_id TEXT PRIMARY KEY, served_at REAL NOT NULL)"
_INDEX = "CREATE INDEX IF NOT EXISTS labelled_served_at ON labelled (served_at)"


class LabelLedger:
    """The set of labelled row ids (see the module docstring); safe to share between threads.

    Args:
        path: the SQLite file (created with its folder if missing).
        max_age_s: rows served longer ago than this are forgotten.
    """

    def __init__(self, path: Path, max_age_s: float) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._max_age_s = max_age_s
        self._lock = threading.Lock()
        self._claims = 0
        self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._connection.execute("PRAGMA journal_mode = WAL")
        self._connection.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the process
        self._connection.execute(_SCHEMA)
        self._connection.execute(_INDEX)
        self.prune()

    def claim(self, row_ids: Sequence[str], served_at: float) -> list[str]:
        """Record ``row_ids`` as labelled, unless one of them already is.

        Returns:
            The row ids that already had a label (nothing was recorded then); empty on success.
        """
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                taken = _already_labelled(connection, row_ids)
                if not taken:
                    connection.executemany(
                        "INSERT INTO labelled (row_id, served_at) VALUES (?, ?)",
                        [(row_id, served_at) for row_id in row_ids],
                    )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.prune()
        return taken

    def prune(self, now: float | None = None) -> int:
        """Delete the rows served before the retention window; returns how many."""
        cutoff = (time.time() if now is None else now) - self._max_age_s
        with self._lock:
            deleted = self._connection.execute("DELETE FROM labelled WHERE served_at < ?", (cutoff,)).rowcount
        if deleted:
            logger.info("forgot %d labelled rows served before the %.0f s window", deleted, self._max_age_s)
        return deleted

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _already_labelled(connection: sqlite3.Connection, row_ids: Sequence[str]) -> list[str]:
    placeholders = ",".join("?" * len(row_ids))
    rows = connection.execute(f"SELECT row_id FROM labelled WHERE row_id IN ({placeholders})", list(row_ids))
    found = {row_id for (row_id,) in rows}
    return [row_id for row_id in row_ids if row_id in found]
