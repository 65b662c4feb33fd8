"""The bots' own state: which chat thread is which conversation, and which Slack events were seen.

Kept in ``<data_dir>/bots.sqlite`` (WAL mode, shared by worker processes), beside the
conversations themselves. Keys name their source: ``slack:TEAM:CHANNEL:THREAD_TS`` for a Slack
thread, ``hook:THREAD`` for the webhook's ``thread``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..service import Assistant

# How the bots reach the app's shared Assistant (a callable, so mounting them loads nothing).
AssistantProvider = Callable[[], "Assistant"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    key TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_events (event_id TEXT PRIMARY KEY, seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_events_by_time ON seen_events (seen);
"""
# Slack retries an event for about an hour at most; a day of ids is plenty to recognise one.
SEEN_EVENT_TTL_S = 24 * 3600
_STRIPES = 64


class BotState:
    """Thread-safe; opens its SQLite file on first use, so mounting the bots touches no disk."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        # One lock per stripe of thread keys: turns of one thread are answered one at a time,
        # so a quick second message cannot overtake the first and lose its context.
        self._thread_locks = [threading.Lock() for _ in range(_STRIPES)]

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            self._db = db
        return self._db

    def conversation_for(self, key: str, new_id: Callable[[], str]) -> str:
        """The conversation id of thread ``key``, recording ``new_id()`` if it has none yet."""
        with self._lock:
            db = self._conn()
            with db:
                db.execute(
                    "INSERT OR IGNORE INTO threads VALUES (?, ?, ?)", (key, new_id(), time.time())
                )
            row = db.execute(
                "SELECT conversation_id FROM threads WHERE key = ?", (key,)
            ).fetchone()
        return str(row[0])

    def lookup(self, key: str) -> str | None:
        """The conversation id of thread ``key``, or None."""
        with self._lock:
            row = self._conn().execute(
                "SELECT conversation_id FROM threads WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def first_sighting(self, event_id: str) -> bool:
        """Record ``event_id``; True the first time it is seen, False for a retry or replay."""
        now = time.time()
        with self._lock:
            db = self._conn()
            with db:
                db.execute("DELETE FROM seen_events WHERE seen < ?", (now - SEEN_EVENT_TTL_S,))
                cur = db.execute(
                    "INSERT OR IGNORE INTO seen_events VALUES (?, ?)", (event_id, now)
                )
        return cur.rowcount == 1

    def thread_lock(self, key: str) -> threading.Lock:
        """The lock that serialises the turns of thread ``key``."""
        return self._thread_locks[zlib.crc32(key.encode()) % _STRIPES]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
