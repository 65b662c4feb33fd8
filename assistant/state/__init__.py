"""Shared state: the database that conversations, feedback and the bots' threads live in.

``database.py`` (engine, migrations on first use, errors), ``tables.py`` (the schema),
``migrations/`` (Alembic, shipped in the package), ``legacy.py`` (adopting older files).
"""

from .database import Database, check_database, database_for, database_url

__all__ = ["Database", "check_database", "database_for", "database_url"]
