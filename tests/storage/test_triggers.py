"""UPDATE and DELETE on the log tables are refused by the database itself."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from creditbank.ledger.erasure import erase_opening
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.tables import APPEND_ONLY_TABLES, NO_UPDATE_TABLES
from creditbank.wiring import Services
from tests.ledger.helpers import entries

KEY = {
    "ledger_entry": "idx",
    "ledger_node": "id",
    "ledger_checkpoint": "id",
    "ledger_opening": "idx",
    "ledger_erasure": "idx",
    "ledger_sealed_opening": "idx",
}
COLUMN = {
    "ledger_entry": "data",
    "ledger_node": "hash",
    "ledger_checkpoint": "note",
    "ledger_opening": "payload",
    "ledger_erasure": "reason",
    "ledger_sealed_opening": "sealed",
}


@pytest.fixture
def filled(services: Services) -> Services:
    services.ledger.append(entries(16))  # enough for stored interior nodes (8 leaves and up)
    # Entries about a learner keep their openings sealed under the learner's key.
    services.ledger.append(
        [NewEntry("consent.granted", "learner", {"learner": "L-1", "n": n}) for n in range(2)]
    )
    services.ledger.publish_checkpoint()
    with services.engine.begin() as connection:
        erase_opening(connection, 2, reason="learner asked", now=datetime.now(UTC))
    return services


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES + NO_UPDATE_TABLES)
def test_update_refused(filled: Services, engine_name: str, table: str) -> None:
    # Even a no-op UPDATE fires the row trigger.
    with pytest.raises(DBAPIError, match="append-only"), filled.engine.begin() as connection:
        connection.execute(text(f"UPDATE {table} SET {COLUMN[table]} = {COLUMN[table]}"))


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_delete_refused(filled: Services, engine_name: str, table: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), filled.engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {table} WHERE {KEY[table]} >= 0"))


@pytest.mark.postgres
def test_truncate_refused_on_postgres(filled: Services, engine_name: str) -> None:
    if engine_name != "postgres":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with pytest.raises(DBAPIError, match="append-only"), filled.engine.begin() as connection:
        connection.execute(text("TRUNCATE ledger_checkpoint"))


def test_an_opening_is_deleted_only_after_its_erasure_is_recorded(
    filled: Services, engine_name: str
) -> None:
    with (
        pytest.raises(DBAPIError, match="without an erasure record"),
        filled.engine.begin() as connection,
    ):
        connection.execute(text("DELETE FROM ledger_opening WHERE idx = 1"))
    # Erasing a learner's payload (PIPL) records the erasure, then deletes the opening.
    with filled.engine.begin() as connection:
        erase_opening(connection, 1, reason="learner asked", now=datetime.now(UTC))
        openings = connection.execute(text("SELECT count(*) FROM ledger_opening")).scalar_one()
        remaining = connection.execute(text("SELECT count(*) FROM ledger_entry")).scalar_one()
    assert (openings, remaining) == (14, 18)


def test_a_sealed_opening_is_deleted_only_after_its_erasure_is_recorded(
    filled: Services, engine_name: str
) -> None:
    with (
        pytest.raises(DBAPIError, match="without an erasure record"),
        filled.engine.begin() as connection,
    ):
        connection.execute(text("DELETE FROM ledger_sealed_opening WHERE idx = 16"))
    with filled.engine.begin() as connection:
        erase_opening(connection, 16, reason="learner erased", now=datetime.now(UTC))
        left = connection.execute(text("SELECT idx FROM ledger_sealed_opening")).scalars().all()
    assert left == [17]


@pytest.mark.postgres
def test_openings_cannot_be_truncated_on_postgres(filled: Services, engine_name: str) -> None:
    if engine_name != "postgres":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with pytest.raises(DBAPIError, match="append-only"), filled.engine.begin() as connection:
        connection.execute(text("TRUNCATE ledger_opening"))


@pytest.mark.parametrize("table", ["ledger_opening", "ledger_sealed_opening"])
def test_an_opening_without_its_entry_is_refused(
    filled: Services, engine_name: str, table: str
) -> None:
    # A foreign key on SQLite; on PostgreSQL a statement-level check (migration 0027).
    columns = {
        "ledger_opening": "(idx, salt, payload) VALUES (:idx, :blob, :blob)",
        "ledger_sealed_opening": "(idx, learner, sealed) VALUES (:idx, 'L-1', :blob)",
    }
    with filled.engine.connect() as connection:
        size = connection.execute(text("SELECT size FROM ledger_head")).scalar_one()
    statement = text(f"INSERT INTO {table} {columns[table]}")
    with (
        pytest.raises(DBAPIError, match=r"FOREIGN KEY|names an entry the log does not hold"),
        filled.engine.begin() as connection,
    ):
        connection.execute(statement, {"idx": size + 5, "blob": b"\0" * 32})
