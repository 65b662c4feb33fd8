"""Conversations: their turns, kept in the shared-state database (``state/``): PostgreSQL when
``ASSISTANT_DATABASE_URL`` is set, else SQLite under the data dir.

A turn keeps the question as asked, the standalone question that was searched, the answer, and
the entities its citations were about, so a follow-up can be rewritten from earlier turns.

Every conversation has an ``owner``: who started it (``key:<digest of an API key>``,
``anonymous`` on a server without keys, ``slack:TEAM:USER``, ``hook:USER``, ``local`` for the
CLI). A ``Caller`` sees, continues and deletes only its own conversations unless it is an admin;
to anyone else a conversation does not exist (404), so its id reveals nothing. A conversation
holds at most ``max_turns`` turns (``ConversationFullError`` after that).

Replicas may append to one conversation at once: a turn's number is allocated inside the
transaction that first updates its conversation row (a row lock on PostgreSQL, the write lock
on SQLite), and ``(conversation_id, n)`` is the key, so a turn is never lost or overwritten; a
clash that slips through anyway is retried.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import ConversationFullError, InputError, NotFoundError
from ..state.database import Database
from ..state.tables import conversations as conversations_table
from ..state.tables import turns as turns_table
from ..types import Answer, answer_from_json, answer_to_json

_APPEND_ATTEMPTS = 5

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
    """Thread-safe; every worker process and replica shares the one database."""

    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.sqlite(db)

    def new_id(self) -> str:
        return "c_" + secrets.token_hex(8)

    def turns(self, conversation_id: str) -> list[Turn]:
        t = turns_table
        with self.db.begin() as conn:
            rows = conn.execute(
                select(t.c.n, t.c.question, t.c.standalone, t.c.answer_json, t.c.created)
                .where(t.c.conversation_id == conversation_id).order_by(t.c.n)
            ).all()
        return [Turn(n, q, s, answer_from_json(json.loads(a)), c) for n, q, s, a, c in rows]

    def owner(self, conversation_id: str) -> str | None:
        """Who owns the conversation, or None when there is no such conversation."""
        with self.db.begin() as conn:
            return _owner(conn, conversation_id)

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
    ) -> int:
        """Add a turn, creating the conversation (owned by ``owner``) on its first turn;
        return its number.

        Raises:
            ConversationFullError: it already holds ``max_turns`` turns.
        """
        row = {
            "conversation_id": conversation_id, "question": question, "standalone": standalone,
            "answer_json": json.dumps(answer_to_json(answer)),
            "entities": json.dumps(list(answer.subjects)),
        }
        for attempt in range(_APPEND_ATTEMPTS):
            try:
                with self.db.begin() as conn:
                    return self._append(conn, row, owner, max_turns)
            except IntegrityError:  # another replica took the number first: count again
                if attempt == _APPEND_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _append(self, conn: Connection, row: dict[str, str], owner: str,
                max_turns: int | None) -> int:
        c = conversations_table
        conversation_id = row["conversation_id"]
        now = time.time()
        self.db.insert_if_absent(conn, c, id=conversation_id, created=now, updated=now,
                                 title=row["question"][:120], owner=owner)
        # Writing the conversation row first locks it until commit: appenders queue here.
        conn.execute(update(c).where(c.c.id == conversation_id).values(updated=now))
        n = int(conn.execute(
            select(func.coalesce(func.max(turns_table.c.n), 0) + 1)
            .where(turns_table.c.conversation_id == conversation_id)
        ).scalar_one())
        if max_turns is not None and n > max_turns:
            raise ConversationFullError(full_message(conversation_id, max_turns))
        conn.execute(turns_table.insert().values(**row, n=n, created=now))
        return n

    def get(self, conversation_id: str, caller: Caller = LOCAL) -> Conversation:
        c = conversations_table
        with self.db.begin() as conn:
            row = conn.execute(
                select(c.c.id, c.c.title, c.c.created, c.c.updated, c.c.owner)
                .where(c.c.id == conversation_id)
            ).first()
        if row is None or not caller.may_see(row[4]):
            raise NotFoundError(f"no conversation {conversation_id!r}")
        return Conversation(row[0], row[1], row[2], row[3], tuple(self.turns(conversation_id)))

    def list(self, limit: int = 50, caller: Caller = LOCAL) -> list[Conversation]:
        """The caller's conversations (an admin's: everyone's), most recently updated first."""
        c = conversations_table
        query = select(c.c.id, c.c.title, c.c.created, c.c.updated)
        if not caller.admin:
            query = query.where(c.c.owner == caller.owner)
        with self.db.begin() as conn:
            rows = conn.execute(query.order_by(c.c.updated.desc()).limit(limit)).all()
        return [Conversation(r[0], r[1], r[2], r[3], ()) for r in rows]

    def rename(self, conversation_id: str, title: str, caller: Caller = LOCAL) -> None:
        """Give the conversation a title of its owner's choosing (NotFoundError if not theirs)."""
        c = conversations_table
        with self.db.begin() as conn:
            _check_owned(conn, conversation_id, caller)
            conn.execute(update(c).where(c.c.id == conversation_id).values(title=title))

    def delete(self, conversation_id: str, caller: Caller = LOCAL) -> None:
        with self.db.begin() as conn:
            _check_owned(conn, conversation_id, caller)
            conn.execute(delete(conversations_table)
                         .where(conversations_table.c.id == conversation_id))
            conn.execute(delete(turns_table)
                         .where(turns_table.c.conversation_id == conversation_id))


def _owner(conn: Connection, conversation_id: str) -> str | None:
    c = conversations_table
    owner = conn.execute(select(c.c.owner).where(c.c.id == conversation_id)).scalar()
    return None if owner is None else str(owner)


def _check_owned(conn: Connection, conversation_id: str, caller: Caller) -> None:
    """NotFoundError unless the conversation exists and ``caller`` may see it (inside the
    caller's transaction, so it cannot change between the check and the write)."""
    owner = _owner(conn, conversation_id)
    if owner is None or not caller.may_see(owner):
        raise NotFoundError(f"no conversation {conversation_id!r}")


def full_message(conversation_id: str, max_turns: int) -> str:
    return (
        f"conversation {conversation_id!r} already has {max_turns} turns, the limit "
        "(ASSISTANT_MAX_TURNS); start a new conversation by omitting conversation_id"
    )
