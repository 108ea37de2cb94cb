"""Migration 0027: on PostgreSQL openings' entries are checked per statement, and back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, text

from creditbank.config import Settings
from creditbank.ledger.tables import ENTRY_CHECKED_BY_TRIGGER
from creditbank.storage.database import create_db_engine
from creditbank.storage.migrate import alembic_config, upgrade

BEFORE = "0026_cohort_chunks"


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
            key = connection.execute(
                text(
                    "SELECT count(*) FROM pg_constraint"
                    " WHERE conname = :name AND conrelid = CAST(:table AS regclass)"
                ),
                {"name": f"{table}_idx_fkey", "table": table},
            ).scalar_one()
            trigger = connection.execute(
                text(
                    "SELECT count(*) FROM pg_trigger"
                    " WHERE tgname = :name AND tgrelid = CAST(:table AS regclass)"
                ),
                {"name": f"{table}_has_entry", "table": table},
            ).scalar_one()
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
