"""Migration 0027: on PostgreSQL openings' entries are checked per statement, and back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, Engine, text

from creditbank.config import Settings
from creditbank.ledger.tables import ENTRY_CHECKED_BY_TRIGGER
from creditbank.storage.database import create_db_engine
from creditbank.storage.migrate import alembic_config, upgrade

BEFORE = "0026_cohort_chunks"


def _named(
    connection: Connection, catalog: str, name: str, owner: str, table: str, suffix: str
) -> int:
    """How many rows of a PostgreSQL catalog name ``{table}_{suffix}`` on this schema's table."""
    return int(
        connection.execute(
            text(
                f"SELECT count(*) FROM {catalog} WHERE {name} = :name"
                f" AND {owner} = CAST(:table AS regclass)"
            ),
            {"name": f"{table}_{suffix}", "table": table},
        ).scalar_one()
    )


def _links(engine: Engine, engine_name: str) -> dict[str, tuple[bool, bool]]:
    """Per table: (a foreign key to ledger_entry, a trigger checking the entry)."""
    found: dict[str, tuple[bool, bool]] = {}
    with engine.connect() as connection:
        for table in ENTRY_CHECKED_BY_TRIGGER:
            if engine_name == "sqlite":
                keys = connection.execute(text(f"PRAGMA foreign_key_list({table})")).all()
                found[table] = (any(k.table == "ledger_entry" for k in keys), False)
                continue
            # This schema's table only (other tests' schemas share the database).
            key = _named(connection, "pg_constraint", "conname", "conrelid", table, "idx_fkey")
            trigger = _named(connection, "pg_trigger", "tgname", "tgrelid", table, "has_entry")
            found[table] = (key > 0, trigger > 0)
    return found


def test_foreign_keys_become_statement_checks_and_back(
    settings: Settings, engine_name: str
) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    try:
        upgrade(engine, BEFORE)
        as_before = dict.fromkeys(ENTRY_CHECKED_BY_TRIGGER, (True, False))
        assert _links(engine, engine_name) == as_before
        upgrade(engine)
        after = (True, False) if engine_name == "sqlite" else (False, True)
        assert _links(engine, engine_name) == dict.fromkeys(ENTRY_CHECKED_BY_TRIGGER, after)
        command.downgrade(alembic_config(engine), BEFORE)
        assert _links(engine, engine_name) == as_before
    finally:
        engine.dispose()
