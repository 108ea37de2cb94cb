"""UPDATE and DELETE on the log tables are refused by the database itself."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from creditbank.ledger.tables import APPEND_ONLY_TABLES, NO_UPDATE_TABLES
from creditbank.wiring import Services
from tests.ledger.helpers import entries

KEY = {
    "ledger_entry": "idx",
    "ledger_node": "id",
    "ledger_checkpoint": "id",
    "ledger_opening": "idx",
}
COLUMN = {
    "ledger_entry": "data",
    "ledger_node": "hash",
    "ledger_checkpoint": "note",
    "ledger_opening": "payload",
}


@pytest.fixture
def filled(services: Services) -> Services:
    services.ledger.append(entries(16))  # enough for stored interior nodes (8 leaves and up)
    services.ledger.publish_checkpoint()
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


def test_openings_may_be_erased(filled: Services, engine_name: str) -> None:
    # Erasing a learner's payload (PIPL) deletes the opening; the log entry stays.
    with filled.engine.begin() as connection:
        deleted = connection.execute(text("DELETE FROM ledger_opening WHERE idx = 1")).rowcount
        remaining = connection.execute(text("SELECT count(*) FROM ledger_entry")).scalar_one()
    assert deleted == 1
    assert remaining == 16
