"""Migration 0024 partitions the log on PostgreSQL and leaves every answer byte-identical.

A log is built at revision 0021 (batches, an erased opening), its entries, openings, inclusion
and consistency proofs read; the database is upgraded (partitions of 16 leaves here, so the
log spans several), read again, appended to across partitions, audited, downgraded and read
once more. On SQLite the migration changes nothing and the same answers hold.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text

from creditbank.config import Settings
from creditbank.ledger.erasure import erase_opening
from creditbank.ledger.full_audit import audit_ledger
from creditbank.ledger.partitions import covered, leaves_per_partition, partitions
from creditbank.ledger.proofs import consistency_proof, inclusion_proof
from creditbank.ledger.sequencer import append_entries
from creditbank.ledger.store import StoredNodes, read_entries, read_openings
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.storage.migrate import alembic_config, upgrade
from tests.conftest import ORIGIN
from tests.ledger.helpers import entries

BEFORE = "0023_learner_keys"
AFTER = "0024_log_partitions"
SIZE = 100
LEAVES = 16


def _answers(engine: Engine, size: int) -> dict[str, object]:
    """Everything the log serves, as bytes: entries, openings and proofs at several sizes."""
    with read_connection(engine) as connection:
        nodes = StoredNodes(connection)
        sizes = (1, 15, 16, 17, 33, 64, size)
        return {
            "entries": read_entries(connection, 0, size + 10),
            "openings": sorted(read_openings(connection, range(size)).items()),
            "inclusion": [
                (index, at, inclusion_proof(nodes, index, at))
                for at in sizes
                for index in range(0, at, 3)
            ],
            "consistency": [
                (first, second, consistency_proof(nodes, first, second))
                for first in sizes
                for second in sizes
                if first < second
            ],
        }


def _build(engine: Engine) -> None:
    upgrade(engine, BEFORE)
    for start in range(0, SIZE, 23):
        with write_transaction(engine) as connection:
            append_entries(connection, entries(min(23, SIZE - start), start=start))
    with write_transaction(engine) as connection:
        erase_opening(connection, 5, reason="learner asked", now=datetime.now(UTC))


def test_answers_are_the_same_bytes_after_partitioning_and_back(
    settings: Settings, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITBANK_LOG_PARTITION_LEAVES", str(LEAVES))
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    try:
        _build(engine)
        before = _answers(engine, SIZE)
        upgrade(engine, AFTER)
        assert _answers(engine, SIZE) == before
        with read_connection(engine) as connection:
            entry_parts = partitions(connection, "ledger_entry")
            node_parts = partitions(connection, "ledger_node")
            if engine_name == "sqlite":
                assert (entry_parts, covered(connection)) == ([], None)
            else:
                # 100 entries fill partitions 0..6; two more wait ahead.
                assert [(p.first, p.end) for p in entry_parts] == [
                    (k * LEAVES, (k + 1) * LEAVES) for k in range(9)
                ]
                assert [(p.first, p.end) for p in node_parts] == [
                    (p.first, p.end) for p in entry_parts
                ]
                assert leaves_per_partition(connection) == LEAVES
                counts = connection.execute(
                    text("SELECT count(*) FROM ledger_entry_p000003")
                ).scalar_one()
                assert counts == LEAVES  # the rows really sit in their partitions
        # Appends go on into the partitions made ahead, and the whole log audits clean.
        with write_transaction(engine) as connection:
            append_entries(connection, entries(40, start=SIZE))
        with read_connection(engine) as connection:
            report = audit_ledger(connection, [], ORIGIN)
        assert (report.size, report.entries_checked) == (SIZE + 40, SIZE + 40)
        grown = _answers(engine, SIZE + 40)
        command.downgrade(alembic_config(engine), BEFORE)
        assert _answers(engine, SIZE + 40) == grown
        with read_connection(engine) as connection:
            assert partitions(connection, "ledger_entry") == []
            assert audit_ledger(connection, [], ORIGIN).size == SIZE + 40
    finally:
        engine.dispose()


def test_an_unusable_partition_size_is_refused(
    settings: Settings, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITBANK_LOG_PARTITION_LEAVES", "1000")
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    try:
        upgrade(engine, BEFORE)
        if engine_name == "sqlite":
            upgrade(engine, AFTER)  # SQLite keeps its tables: the setting is not read
        else:
            with pytest.raises(ValueError, match="power of two"):
                upgrade(engine, AFTER)
    finally:
        engine.dispose()
