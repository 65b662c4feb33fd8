"""The shared state's tables, as SQLAlchemy Core metadata (the stores' one description).

    conversations   id, created, updated, title, owner         (conversation/store.py)
    turns           conversation_id + n (the key), the answer  (conversation/store.py)
    feedback        id, conversation_id, turn, rating, comment (web/routes.py)
    threads         a chat thread's key -> its conversation    (bots/threads.py)
    seen_events     Slack event ids already answered           (bots/threads.py)

Times are Unix seconds (floats), as the stores have always kept them. The same tables live in
the embedded SQLite file and in PostgreSQL; ``migrations/`` creates and evolves them, and its
first revision must describe exactly these.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

conversations = Table(
    "conversations", metadata,
    Column("id", Text, primary_key=True),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("title", Text, nullable=False),
    Column("owner", Text, nullable=False, server_default=""),
    Index("conversations_by_owner", "owner", "updated"),
)

turns = Table(
    "turns", metadata,
    Column("conversation_id", Text, primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("question", Text, nullable=False),
    Column("standalone", Text, nullable=False),
    Column("answer_json", Text, nullable=False),
    Column("entities", Text, nullable=False),
    Column("created", Float, nullable=False),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", Text, nullable=False),
    Column("turn", Integer, nullable=False),
    Column("rating", Text, CheckConstraint("rating IN ('up', 'down')"), nullable=False),
    Column("comment", Text),
    Column("created", Float, nullable=False),
    sqlite_autoincrement=True,
)

threads = Table(
    "threads", metadata,
    Column("key", Text, primary_key=True),
    Column("conversation_id", Text, nullable=False),
    Column("created", Float, nullable=False),
)

seen_events = Table(
    "seen_events", metadata,
    Column("event_id", Text, primary_key=True),
    Column("seen", Float, nullable=False),
    Index("seen_events_by_time", "seen"),
)
