"""Migration 0020 adds the access log and correction requests, and takes them away again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from creditbank.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from creditbank.wiring import Services

TABLES = {"learner_access", "correction_request"}


def test_downgrade_removes_the_tables_and_upgrade_brings_them_back(
    services: Services, engine_name: str
) -> None:
    engine = services.engine
    assert set(inspect(engine).get_table_names()) >= TABLES
    command.downgrade(alembic_config(engine), "0019_unlogged_registration")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
