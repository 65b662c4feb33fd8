"""The bots' own state: which chat thread is which conversation, and which Slack events were seen.

Kept in the shared-state database (``state/``: PostgreSQL when ``ASSISTANT_DATABASE_URL`` is
set, else SQLite in the data dir), beside the conversations themselves. Keys name their source:
``slack:TEAM:CHANNEL:THREAD_TS`` for a Slack thread, ``hook:THREAD`` for the webhook's
``thread``. Recording a seen event is one atomic insert-if-absent, so a Slack retry delivered to
two replicas at once is answered by one of them.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from ..state.database import Database
from ..state.tables import seen_events, threads

if TYPE_CHECKING:
    from ..service import Assistant

# How the bots reach the app's shared Assistant (a callable, so mounting them loads nothing).
AssistantProvider = Callable[[], "Assistant"]

# Slack retries an event for about an hour at most; a day of ids is plenty to recognise one.
SEEN_EVENT_TTL_S = 24 * 3600
_STRIPES = 64


class BotState:
    """Thread-safe; opens its database on first use, so mounting the bots touches no disk."""

    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.sqlite(db)
        # One lock per stripe of thread keys: turns of one thread are answered one at a time,
        # so a quick second message cannot overtake the first and lose its context.
        self._thread_locks = [threading.Lock() for _ in range(_STRIPES)]

    def conversation_for(self, key: str, new_id: Callable[[], str]) -> str:
        """The conversation id of thread ``key``, recording ``new_id()`` if it has none yet."""
        with self.db.begin() as conn:
            self.db.insert_if_absent(conn, threads, key=key, conversation_id=new_id(),
                                     created=time.time())
            found = conn.execute(
                select(threads.c.conversation_id).where(threads.c.key == key)).scalar_one()
        return str(found)

    def lookup(self, key: str) -> str | None:
        """The conversation id of thread ``key``, or None."""
        with self.db.begin() as conn:
            found = conn.execute(
                select(threads.c.conversation_id).where(threads.c.key == key)).scalar()
        return None if found is None else str(found)

    def first_sighting(self, event_id: str) -> bool:
        """Record ``event_id``; True the first time it is seen (by any replica), False for a
        retry or replay."""
        now = time.time()
        with self.db.begin() as conn:
            conn.execute(delete(seen_events).where(seen_events.c.seen < now - SEEN_EVENT_TTL_S))
            return self.db.insert_if_absent(conn, seen_events, event_id=event_id, seen=now)

    def thread_lock(self, key: str) -> threading.Lock:
        """The lock that serialises the turns of thread ``key`` (in this process)."""
        return self._thread_locks[zlib.crc32(key.encode()) % _STRIPES]

    def close(self) -> None:
        """Nothing to do: the database is shared by the process's stores."""
