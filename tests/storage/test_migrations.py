"""The migrations build exactly the schema the models declare, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import ForeignKeyConstraint

from creditbank.ledger.partitions import is_partition
from creditbank.ledger.tables import ENTRY_CHECKED_BY_TRIGGER
from creditbank.schema import metadata
from creditbank.storage.migrate import current_revision, head_revision, upgrade
from creditbank.wiring import Services


def _compared(item: object, name: str | None, kind: str, *_: object) -> bool:
    if kind == "foreign_key_constraint" and isinstance(item, ForeignKeyConstraint):
        # PostgreSQL keeps a copy of a foreign key for each partition of the table it names,
        # and checks openings' entries by trigger (test_triggers.py) instead of the declared
        # foreign key.
        if (
            item.table.name in ENTRY_CHECKED_BY_TRIGGER
            and item.referred_table.name == "ledger_entry"
        ):
            return False
        return not is_partition(item.referred_table.name)
    return True


def test_migrated_schema_matches_the_models(services: Services, engine_name: str) -> None:
    with services.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                # The log's partitions on PostgreSQL: the models declare their parents.
                "include_name": lambda name, kind, _: kind != "table" or not is_partition(name),
                "include_object": _compared,
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_at_head(services: Services, engine_name: str) -> None:
    assert current_revision(services.engine) == head_revision(services.engine)
    upgrade(services.engine)  # a second run (every service start does this) changes nothing
    assert current_revision(services.engine) == head_revision(services.engine)
