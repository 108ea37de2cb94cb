"""A snapshot connection sees one state of every table while others write, and cannot write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from creditbank.ledger.store import entry_t, read_head
from creditbank.storage.database import snapshot_connection
from creditbank.wiring import Services
from tests.ledger.helpers import entries


def test_a_snapshot_does_not_see_later_commits(services: Services, engine_name: str) -> None:
    services.ledger.append(entries(3))
    with snapshot_connection(services.engine) as snapshot:
        before = read_head(snapshot).size
        services.ledger.append(entries(2))  # commits on another connection meanwhile
        rows = snapshot.execute(select(func.count()).select_from(entry_t)).scalar_one()
        assert (before, rows, read_head(snapshot).size) == (3, 3, 3)
    assert services.ledger.head().size == 5


@pytest.mark.postgres
def test_a_postgres_snapshot_is_read_only(services: Services, engine_name: str) -> None:
    if engine_name != "postgres":
        pytest.skip("READ ONLY transactions are PostgreSQL's")
    with (
        pytest.raises(DBAPIError, match="read-only transaction"),
        snapshot_connection(services.engine) as snapshot,
    ):
        snapshot.execute(text("CREATE TABLE stray (id INTEGER)"))
