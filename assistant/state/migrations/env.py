"""Alembic's environment for the shared state (``assistant/state/migrations``).

The app runs it through ``state.database`` with an open connection
(``config.attributes["connection"]``); run by hand, ``alembic`` gets the URL from
``sqlalchemy.url`` in its config or from ``ASSISTANT_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from assistant.state.database import parse_url
from assistant.state.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    url = config.get_main_option("sqlalchemy.url") or os.environ["ASSISTANT_DATABASE_URL"]
    engine = create_engine(parse_url(url))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
