"""The database behind the shared state: PostgreSQL when ``ASSISTANT_DATABASE_URL`` is set, else
the embedded SQLite file ``<data_dir>/conversations.sqlite``. One code path over both
(SQLAlchemy Core); the tables are in ``tables.py``.

A ``Database`` is lazy: nothing is opened until a store first uses it, and then the schema is
brought to the newest migration (``migrations/``, Alembic) under a lock, so two processes or
replicas starting at once migrate once. An SQLite file written by an older version (tables
created by hand, no Alembic stamp) is adopted with its rows; so are the rows of the old
``feedback.sqlite`` and ``bots.sqlite`` beside it (``legacy.py``).

Errors: a URL that cannot be used is a ``ConfigError``; a database that cannot be reached or
fails is an ``UpstreamError`` naming ``ASSISTANT_DATABASE_URL`` (its password hidden).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..errors import ConfigError, UpstreamError
from ..settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SETTING = "ASSISTANT_DATABASE_URL"
_PG_MIGRATION_LOCK = 0x61737369  # pg_advisory_lock key: one migration at a time per database
_CONNECT_TIMEOUT_S = 5


def database_url(settings: Settings) -> str:
    """The configured URL, or the embedded SQLite file's under the data dir."""
    if settings.database_url:
        return settings.database_url
    from ..index.layout import DataDir

    return f"sqlite:///{DataDir(settings.data_dir).conversations.resolve()}"


def parse_url(url: str) -> URL:
    """The URL SQLAlchemy gets: ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"{SETTING} is not a database URL; write e.g. "
                          "postgresql://user:password@host:5432/db") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class Database:
    """One database's engine, created and migrated on first use; thread-safe."""

    def __init__(self, url: str) -> None:
        self.url = parse_url(url)
        self.shown = self.url.render_as_string(hide_password=True)
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        """The SQLite file at ``path`` (made with its parent directory on first use)."""
        return cls(f"sqlite:///{Path(path).resolve()}")

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = _create_engine(self.url)
                    try:
                        with self._translated():
                            _migrate(engine, self.url)
                    except BaseException:
                        engine.dispose()
                        raise
                    self._engine = engine
        return self._engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction, committed at the end; a database that fails is an UpstreamError
        (an ``IntegrityError`` passes through for the caller to handle)."""
        engine = self.engine
        with self._translated(), engine.begin() as conn:
            yield conn

    def insert_if_absent(self, conn: Connection, table: Table, **values: Any) -> bool:
        """Insert a row unless one with its key exists, atomically on both databases; True
        when this call inserted it. (RETURNING says so: psycopg's rowcount does not.)"""
        statement: Insert
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement = pg_insert(table).values(**values).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
        key = next(iter(table.primary_key.columns))
        return conn.execute(statement.returning(key)).first() is not None

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise
        except (DBAPIError, PoolTimeoutError) as exc:  # down, failing, or every connection busy
            raise UpstreamError(unreachable_message(self, exc)) from None


def unreachable_message(db: Database, exc: BaseException) -> str:
    """One line: which database failed and why, the password hidden."""
    cause = getattr(exc, "orig", None) or exc
    reason = (str(cause).strip().splitlines() or [cause.__class__.__name__])[0]
    where = (f"{SETTING}={db.shown}" if db.dialect != "sqlite"
             else f"the embedded database {Path(db.url.database or '').name} (set {SETTING} "
                  "to use PostgreSQL)")
    return f"the database is unreachable or failed ({where}): {reason}"


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.get_backend_name() != "postgresql":
        raise ConfigError(f"{SETTING} must name PostgreSQL (postgresql://...) or SQLite")
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             connect_args={"connect_timeout": _CONNECT_TIMEOUT_S})
    except NoSuchModuleError:
        raise ConfigError(f"{SETTING}: unknown database driver {url.drivername!r}; write "
                          "postgresql://user:password@host:5432/db") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL: readers never wait for the writer, and worker processes share the file.

    NORMAL syncs at checkpoints, not at every commit: a turn survives the process crashing,
    and only an OS crash or power cut can lose the last few. The fsync of FULL cost ~5 ms of
    every answer, more than BM25 and fusion together (benchmarks/api.py)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _migrate(engine: Engine, url: URL) -> None:
    """Bring the schema to the newest migration, one process at a time."""
    from alembic import command
    from alembic.config import Config

    from .legacy import adopt_legacy_files

    with _migration_lock(engine, url) as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            adopt_legacy_files(conn, Path(str(url.database)).parent)
            conn.commit()


@contextmanager
def _migration_lock(engine: Engine, url: URL) -> Iterator[Connection]:
    """A connection held under the migration lock: an advisory lock on PostgreSQL, a lock
    file beside an SQLite file."""
    with engine.connect() as conn:
        if url.get_backend_name() == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                             {"key": _PG_MIGRATION_LOCK})
                conn.commit()
            return
        if url.database in (None, "", ":memory:"):
            yield conn
            return
        with open(str(url.database) + ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield conn
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


@lru_cache(maxsize=32)
def shared_database(url: str) -> Database:
    """One ``Database`` per URL in this process, shared by its stores."""
    return Database(url)


def database_for(settings: Settings) -> Database:
    """The database ``settings`` name (not opened until used)."""
    return shared_database(database_url(settings))


def check_database(settings: Settings) -> Database:
    """Open and migrate the configured database now (``assistant serve`` does, before its
    workers start), so a wrong URL is one clear error at start-up.

    Raises:
        ConfigError, UpstreamError
    """
    db = database_for(settings)
    with db.begin() as conn:
        conn.execute(text("SELECT 1"))
    return db
