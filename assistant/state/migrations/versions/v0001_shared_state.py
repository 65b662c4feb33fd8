"""The shared state's tables: conversations, turns, feedback, threads, seen_events.

An SQLite file written before migrations existed already holds some of them (made with
``CREATE TABLE IF NOT EXISTS``, with the same columns; ``conversations.owner`` added later):
each table and index is created only when missing, and rows are kept.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> dict[str, list[Any]]:
    return {
        "conversations": [
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("updated", sa.Float, nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("owner", sa.Text, nullable=False, server_default=""),
        ],
        "turns": [
            sa.Column("conversation_id", sa.Text, primary_key=True),
            sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("standalone", sa.Text, nullable=False),
            sa.Column("answer_json", sa.Text, nullable=False),
            sa.Column("entities", sa.Text, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
        ],
        "feedback": [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("conversation_id", sa.Text, nullable=False),
            sa.Column("turn", sa.Integer, nullable=False),
            sa.Column("rating", sa.Text, sa.CheckConstraint("rating IN ('up', 'down')"),
                      nullable=False),
            sa.Column("comment", sa.Text),
            sa.Column("created", sa.Float, nullable=False),
        ],
        "threads": [
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("conversation_id", sa.Text, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
        ],
        "seen_events": [
            sa.Column("event_id", sa.Text, primary_key=True),
            sa.Column("seen", sa.Float, nullable=False),
        ],
    }


INDEXES = {
    "conversations_by_owner": ("conversations", ["owner", "updated"]),
    "seen_events_by_time": ("seen_events", ["seen"]),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, columns in _tables().items():
        if name not in existing:
            extra = {"sqlite_autoincrement": True} if name == "feedback" else {}
            op.create_table(name, *columns, **extra)
    if "conversations" in existing:
        have = {c["name"] for c in inspector.get_columns("conversations")}
        if "owner" not in have:  # a store from before owners: its rows are admin-only
            op.add_column("conversations",
                          sa.Column("owner", sa.Text, nullable=False, server_default=""))
    for index, (table, columns) in INDEXES.items():
        present = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}
        if index not in present:
            op.create_index(index, table, columns)


def downgrade() -> None:
    for index, (table, _) in INDEXES.items():
        op.drop_index(index, table_name=table)
    for name in reversed(list(_tables())):
        op.drop_table(name)
