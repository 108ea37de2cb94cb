"""Alembic environment: migrations run on the engine handed over by creditbank.storage.migrate.

Upgrades and downgrades need no table metadata; a caller that autogenerates a revision hands
over ``creditbank.schema.metadata`` as the ``metadata`` attribute, so storage never imports
the packages above it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)
target_metadata = context.config.attributes.get("metadata")

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
