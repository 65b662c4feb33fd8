"""The shared-state database (issue 13, item 1): the embedded SQLite file and a real PostgreSQL
through one code path, migrations on first use (also over files an older version wrote), and
writes that stay right when several replicas make them at once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from assistant.bots.threads import BotState
from assistant.conversation.store import ANONYMOUS, ConversationStore
from assistant.errors import ConfigError, UpstreamError
from assistant.settings import Settings
from assistant.state.database import Database, database_for
from assistant.types import Answer
from assistant.web.routes import FeedbackIn, FeedbackStore

pytest_plugins = ["pg_fixtures"]

# What the stores wrote before the shared state had one database (and before owners).
OLD_CONVERSATIONS = """
CREATE TABLE conversations (id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL,
    title TEXT NOT NULL);
CREATE TABLE turns (conversation_id TEXT NOT NULL, n INTEGER NOT NULL, question TEXT NOT NULL,
    standalone TEXT NOT NULL, answer_json TEXT NOT NULL, entities TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (conversation_id, n));
"""
OLD_FEEDBACK = """CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL, turn INTEGER NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')), comment TEXT, created REAL NOT NULL)"""
OLD_BOTS = """
CREATE TABLE threads (key TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE seen_events (event_id TEXT PRIMARY KEY, seen REAL NOT NULL);
"""


def _answer(question: str) -> Answer:
    return Answer(question=question, answer="", refused=True)


def _old_data_dir(root: Path) -> None:
    from assistant.types import answer_to_json

    with sqlite3.connect(root / "conversations.sqlite") as db:
        db.executescript(OLD_CONVERSATIONS)
        db.execute("INSERT INTO conversations VALUES ('c_old', 1.0, 2.0, 'Old one')")
        db.execute("INSERT INTO turns VALUES ('c_old', 1, 'q?', 'q?', ?, '[]', 1.0)",
                   (json.dumps(answer_to_json(_answer("q?"))),))
    with sqlite3.connect(root / "feedback.sqlite") as db:
        db.execute(OLD_FEEDBACK)
        db.execute("INSERT INTO feedback VALUES (7, 'c_old', 1, 'up', 'good', 3.0)")
    with sqlite3.connect(root / "bots.sqlite") as db:
        db.executescript(OLD_BOTS)
        db.execute("INSERT INTO threads VALUES ('slack:T:C:1.0', 'c_old', 1.0)")
        db.execute("INSERT INTO seen_events VALUES ('Ev1', 1e12)")


def test_an_older_data_dir_is_adopted_with_its_rows(tmp_path: Path) -> None:
    _old_data_dir(tmp_path)
    db = database_for(Settings(data_dir=tmp_path))
    conversations = ConversationStore(db)
    old = conversations.get("c_old")
    assert old.title == "Old one" and [t.question for t in old.turns] == ["q?"]
    assert conversations.owner("c_old") == ""  # from before owners: admin-only
    assert not conversations.exists("c_old", ANONYMOUS)
    assert conversations.append("c_old", "next?", "next?", _answer("next?")) == 2
    exported = FeedbackStore(db).export()
    assert [(f.id, f.comment) for f in exported] == [(7, "good")]
    assert FeedbackStore(db).add(FeedbackIn(conversation_id="c_old", turn=2,
                                            rating="down")).id == 8
    bots = BotState(db)
    assert bots.lookup("slack:T:C:1.0") == "c_old"
    assert not bots.first_sighting("Ev1") and bots.first_sighting("Ev2")
    assert not (tmp_path / "feedback.sqlite").exists()
    assert (tmp_path / "bots.sqlite.imported").exists()
    with db.begin() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    # Opened again (another process, a restart): migrated once, nothing copied twice.
    again = Database.sqlite(tmp_path / "conversations.sqlite")
    assert len(FeedbackStore(again).export()) == 2


def _replicas(url: str, n: int) -> list[Database]:
    """``n`` independent engines on one database, as ``n`` replicas would hold."""
    return [Database(url) for _ in range(n)]


def _together(work: list[Callable[[], Any]]) -> list[Any]:
    """Run the callables on threads released at the same moment; their results, in order."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _appends_and_sightings(url: str) -> None:
    dbs = _replicas(url, 6)
    per = 15

    def appender(db: Database, k: int) -> Callable[[], list[int]]:
        store = ConversationStore(db)
        return lambda: [store.append("c_shared", f"q{k}.{i}", "s", _answer("q"), owner="o")
                        for i in range(per)]

    numbers = _together([appender(db, k) for k, db in enumerate(dbs)])
    turns = ConversationStore(dbs[0]).turns("c_shared")
    assert [t.n for t in turns] == list(range(1, 6 * per + 1))
    assert sorted(n for ns in numbers for n in ns) == [t.n for t in turns]
    assert {t.question for t in turns} == {f"q{k}.{i}" for k in range(6) for i in range(per)}

    first = _together([lambda db=db: BotState(db).first_sighting("EvSame") for db in dbs])
    assert sorted(first) == [False] * 5 + [True]
    bound = _together([lambda db=db: BotState(db).conversation_for(
        "hook:t", lambda: f"c_{os.urandom(4).hex()}") for db in dbs])
    assert len(set(bound)) == 1


def test_sqlite_replicas_never_lose_a_turn_or_answer_twice(tmp_path: Path) -> None:
    _appends_and_sightings(f"sqlite:///{tmp_path / 'state.sqlite'}")


@pytest.mark.slow
def test_postgres_replicas_never_lose_a_turn_or_answer_twice(postgres_url: str) -> None:
    _appends_and_sightings(postgres_url)
    db = Database(postgres_url)
    assert db.dialect == "postgresql"
    feedback = FeedbackStore(db)
    ids = [feedback.add(FeedbackIn(conversation_id="c_shared", turn=1, rating="up")).id
           for _ in range(2)]
    assert ids[1] == ids[0] + 1
    assert ConversationStore(db).list(caller=ANONYMOUS) == []


def _unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    url = f"postgresql://assistant:hunter2@127.0.0.1:{_unused_port()}/assistant"
    store = ConversationStore(Database(url))
    with pytest.raises(UpstreamError) as caught:
        store.owner("c_1")
    message = caught.value.message
    assert "ASSISTANT_DATABASE_URL" in message and "hunter2" not in message
    assert "\n" not in message

    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path), "ASSISTANT_DATABASE_URL": url}
    cli = Path(sys.executable).with_name("assistant")
    done = subprocess.run([str(cli), "serve", "--port", str(_unused_port())], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "ASSISTANT_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_a_url_that_is_not_a_database_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ASSISTANT_DATABASE_URL"):
        Settings(database_url="mysql://x@db/x")
    with pytest.raises(ConfigError, match="ASSISTANT_DATABASE_URL"):
        ConversationStore(Database("postgresql+nosuchdriver://x@127.0.0.1/x")).owner("c")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path),
           "ASSISTANT_DATABASE_URL": "redis://127.0.0.1/0"}
    cli = Path(sys.executable).with_name("assistant")
    done = subprocess.run([str(cli), "serve"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "ASSISTANT_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
