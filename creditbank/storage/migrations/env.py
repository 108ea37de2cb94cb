"""Alembic environment: migrations run on the engine handed over by creditbank.storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from creditbank.schema import metadata

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
