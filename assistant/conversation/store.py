"""Conversations: their turns, kept in SQLite under the data dir.

A turn keeps the question as asked, the standalone question that was searched, the answer, and
the entities its citations were about, so a follow-up can be rewritten from earlier turns.

Every conversation has an ``owner``: who started it (``key:<digest of an API key>``,
``anonymous`` on a server without keys, ``slack:TEAM:USER``, ``hook:USER``, ``local`` for the
CLI). A ``Caller`` sees, continues and deletes only its own conversations unless it is an admin;
to anyone else a conversation does not exist (404), so its id reveals nothing. A conversation
holds at most ``max_turns`` turns (``ConversationFullError`` after that).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConversationFullError, InputError, NotFoundError
from ..types import Answer, answer_from_json, answer_to_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL, title TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL, n INTEGER NOT NULL, question TEXT NOT NULL,
    standalone TEXT NOT NULL, answer_json TEXT NOT NULL, entities TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (conversation_id, n)
);
"""
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


@dataclass(frozen=True)
class Caller:
    """Who is asking: ``owner`` is recorded on the conversations it starts; an ``admin`` sees
    every conversation (admin API keys, the CLI, and bots over the threads they map)."""

    owner: str
    admin: bool = False

    def may_see(self, owner: str) -> bool:
        return self.admin or owner == self.owner


ANONYMOUS = Caller("anonymous")
LOCAL = Caller("local", admin=True)  # the machine's own user: the CLI and in-process evals


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
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a turn survives the
        # process crashing, and only an OS crash or power cut can lose the last few. The
        # fsync of FULL cost ~5 ms of every answer, more than BM25 and fusion together.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(conversations)")}
        if "owner" not in columns:  # a store from before owners: its rows are admin-only
            self._db.execute("ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated)"
        )
        self._db.commit()
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

    def owner(self, conversation_id: str) -> str | None:
        """Who owns the conversation, or None when there is no such conversation."""
        with self._lock:
            row = self._db.execute(
                "SELECT owner FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def exists(self, conversation_id: str, caller: Caller = LOCAL) -> bool:
        """Whether the conversation exists for ``caller`` (someone else's does not)."""
        owner = self.owner(conversation_id)
        return owner is not None and caller.may_see(owner)

    def check(self, conversation_id: str, caller: Caller) -> None:
        """NotFoundError unless ``caller`` may see the conversation."""
        if not self.exists(conversation_id, caller):
            raise NotFoundError(
                f"no conversation {conversation_id!r}; omit conversation_id to start one"
            )

    def append(
        self,
        conversation_id: str,
        question: str,
        standalone: str,
        answer: Answer,
        owner: str = LOCAL.owner,
        max_turns: int | None = None,
    ) -> None:
        """Add a turn, creating the conversation (owned by ``owner``) on its first turn.

        Raises:
            ConversationFullError: it already holds ``max_turns`` turns.
        """
        now = time.time()
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO conversations VALUES (?, ?, ?, ?, ?)",
                (conversation_id, now, now, question[:120], owner),
            )
            n = self._db.execute(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            if max_turns is not None and n > max_turns:
                raise ConversationFullError(full_message(conversation_id, max_turns))
            self._db.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id)
            )
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

    def get(self, conversation_id: str, caller: Caller = LOCAL) -> Conversation:
        with self._lock:
            row = self._db.execute(
                "SELECT id, title, created, updated, owner FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None or not caller.may_see(row[4]):
            raise NotFoundError(f"no conversation {conversation_id!r}")
        return Conversation(row[0], row[1], row[2], row[3], tuple(self.turns(conversation_id)))

    def list(self, limit: int = 50, caller: Caller = LOCAL) -> list[Conversation]:
        """The caller's conversations (an admin's: everyone's), most recently updated first."""
        query = "SELECT id, title, created, updated FROM conversations"
        args: tuple[object, ...] = (limit,)
        if not caller.admin:
            query += " WHERE owner = ?"
            args = (caller.owner, limit)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY updated DESC LIMIT ?", args).fetchall()
        return [Conversation(r[0], r[1], r[2], r[3], ()) for r in rows]

    def rename(self, conversation_id: str, title: str, caller: Caller = LOCAL) -> None:
        """Give the conversation a title of its owner's choosing (NotFoundError if not theirs)."""
        with self._lock, self._db:
            self._check_owned(conversation_id, caller)
            self._db.execute("UPDATE conversations SET title = ? WHERE id = ?",
                             (title, conversation_id))

    def delete(self, conversation_id: str, caller: Caller = LOCAL) -> None:
        with self._lock, self._db:
            self._check_owned(conversation_id, caller)
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            self._db.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))

    def _check_owned(self, conversation_id: str, caller: Caller) -> None:
        """NotFoundError unless the conversation exists and ``caller`` may see it (inside the
        caller's transaction, so it cannot change between the check and the write)."""
        row = self._db.execute(
            "SELECT owner FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None or not caller.may_see(row[0]):
            raise NotFoundError(f"no conversation {conversation_id!r}")


def full_message(conversation_id: str, max_turns: int) -> str:
    return (
        f"conversation {conversation_id!r} already has {max_turns} turns, the limit "
        "(ASSISTANT_MAX_TURNS); start a new conversation by omitting conversation_id"
    )
