"""Conversations: their turns, kept in SQLite under the data dir.

A turn keeps the question as asked, the standalone question that was searched, the answer, and
the entities its citations were about, so a follow-up can be rewritten from earlier turns.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, NotFoundError
from .types import Answer, answer_from_json, answer_to_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL, title TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL, n INTEGER NOT NULL, question TEXT NOT NULL,
    standalone TEXT NOT NULL, answer_json TEXT NOT NULL, entities TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (conversation_id, n)
);
"""
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(frozen=True)
class Turn:
    n: int
    question: str
    standalone: str
    answer: Answer
    created: float = 0.0

    @property
    def entities(self) -> tuple[str, ...]:
        """What the answer's facts were about (follow-ups may refer to them)."""
        return self.answer.subjects


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float
    turns: tuple[Turn, ...]


def validate_id(conversation_id: str) -> str:
    if not (1 <= len(conversation_id) <= 64) or not set(conversation_id) <= _ID_CHARS:
        raise InputError(
            "conversation_id must be 1-64 letters, digits, '_' or '-'; "
            "omit it to start a new conversation"
        )
    return conversation_id


class ConversationStore:
    """Thread-safe; one SQLite file shared by every worker process (WAL mode)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        return "c_" + secrets.token_hex(8)

    def turns(self, conversation_id: str) -> list[Turn]:
        with self._lock:
            rows = self._db.execute(
                "SELECT n, question, standalone, answer_json, created FROM turns "
                "WHERE conversation_id = ? ORDER BY n",
                (conversation_id,),
            ).fetchall()
        return [Turn(n, q, s, answer_from_json(json.loads(a)), c) for n, q, s, a, c in rows]

    def exists(self, conversation_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                is not None
            )

    def append(
        self,
        conversation_id: str,
        question: str,
        standalone: str,
        answer: Answer,
    ) -> None:
        now = time.time()
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO conversations VALUES (?, ?, ?, ?)",
                (conversation_id, now, now, question[:120]),
            )
            self._db.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id)
            )
            n = self._db.execute(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            self._db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    n,
                    question,
                    standalone,
                    json.dumps(answer_to_json(answer)),
                    json.dumps(list(answer.subjects)),
                    now,
                ),
            )

    def get(self, conversation_id: str) -> Conversation:
        with self._lock:
            row = self._db.execute(
                "SELECT id, title, created, updated FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation {conversation_id!r}")
        return Conversation(row[0], row[1], row[2], row[3], tuple(self.turns(conversation_id)))

    def list(self, limit: int = 50) -> list[Conversation]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, title, created, updated FROM conversations ORDER BY updated DESC "
                "LIMIT ?",
                (limit,),
            ).fetchall()
        return [Conversation(r[0], r[1], r[2], r[3], ()) for r in rows]

    def delete(self, conversation_id: str) -> None:
        with self._lock, self._db:
            cur = self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            self._db.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))
        if cur.rowcount == 0:
            raise NotFoundError(f"no conversation {conversation_id!r}")
