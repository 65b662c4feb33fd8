"""Rows an older version kept in their own SQLite files, moved into the embedded database.

Before the shared state had one database, feedback lived in ``<data_dir>/feedback.sqlite`` and
the bots' thread bindings and seen Slack events in ``<data_dir>/bots.sqlite``. On first use
of the embedded database (under its migration lock) their rows are copied in, keeping ids, and
each file is renamed ``*.imported`` so it is read once. Conversations were already in the
embedded file itself (``conversations.sqlite``); the first migration adopts those in place.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.sqlite import insert

from .tables import feedback, seen_events, threads

# old file -> the tables it held, each with the columns copied
LEGACY_FILES: dict[str, tuple[Table, ...]] = {
    "feedback.sqlite": (feedback,),
    "bots.sqlite": (threads, seen_events),
}


def adopt_legacy_files(conn: Connection, directory: Path) -> list[str]:
    """Copy the rows of the old files in ``directory`` into ``conn``'s database; return the
    names of the files adopted."""
    adopted = []
    for name, tables in LEGACY_FILES.items():
        path = directory / name
        if not path.is_file():
            continue
        old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for table in tables:
                _copy(old, conn, table)
        finally:
            old.close()
        path.rename(path.with_name(name + ".imported"))
        for suffix in ("-wal", "-shm"):
            path.with_name(name + suffix).unlink(missing_ok=True)
        adopted.append(name)
    return adopted


def _copy(old: sqlite3.Connection, conn: Connection, table: Table) -> None:
    names = [c.name for c in table.columns]
    present = {row[1] for row in old.execute(f"PRAGMA table_info({table.name})")}
    if not present:
        return
    columns = [n for n in names if n in present]
    rows = old.execute(f"SELECT {', '.join(columns)} FROM {table.name}").fetchall()
    if rows:
        conn.execute(insert(table).on_conflict_do_nothing(),
                     [dict(zip(columns, row, strict=True)) for row in rows])
