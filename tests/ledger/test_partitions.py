"""The log's PostgreSQL partitions: made ahead by the job, append-only each, never missed.

Partitions of 16 leaves (set when the migration runs) so a few dozen entries span several.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from creditbank.config import Settings
from creditbank.errors import LedgerError
from creditbank.ledger.partitions import partitions, room
from creditbank.ledger.sequencer import append_entries
from creditbank.ledger.store import read_head
from creditbank.operations.metrics import exposition
from creditbank.operations.partitions import make_ahead
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.storage.migrate import upgrade
from tests.ledger.helpers import entries

pytestmark = pytest.mark.postgres
LEAVES = 16


@pytest.fixture
def engine(
    settings: Settings, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    if engine_name != "postgres":
        pytest.skip("the log is partitioned on PostgreSQL only")
    monkeypatch.setenv("CREDITBANK_LOG_PARTITION_LEAVES", str(LEAVES))
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _append(engine: Engine, count: int, start: int) -> None:
    with write_transaction(engine) as connection:
        append_entries(connection, entries(count, start=start))


def _names(engine: Engine, table: str) -> list[str]:
    with read_connection(engine) as connection:
        return [part.name for part in partitions(connection, table)]


def test_the_job_makes_partitions_ahead_of_the_appends(engine: Engine) -> None:
    # An empty log: partition 0 and two ahead.
    assert _names(engine, "ledger_entry") == [f"ledger_entry_p00000{k}" for k in range(3)]
    assert make_ahead(engine) is None  # nothing to do
    _append(engine, 40, 0)  # now filling partition 2
    made = make_ahead(engine)
    assert made is not None and "ledger_entry_p000004" in made
    for table in ("ledger_entry", "ledger_opening", "ledger_node"):
        assert _names(engine, table) == [f"{table}_p{k:06d}" for k in range(5)]
    with read_connection(engine) as connection:
        assert room(connection) == (5 * LEAVES - 40, LEAVES)
    # What to alert on: the room left, scraped with the other gauges.
    text_format = exposition(engine)[0].decode()
    assert f"creditbank_log_partition_room {5 * LEAVES - 40:.1f}" in text_format


def test_an_append_past_the_last_partition_is_refused_whole(engine: Engine) -> None:
    _append(engine, 3 * LEAVES - 2, 0)
    with pytest.raises(LedgerError, match="no partition of ledger_entry"):
        _append(engine, 5, 3 * LEAVES - 2)
    with read_connection(engine) as connection:
        assert read_head(connection).size == 3 * LEAVES - 2
        stored = connection.execute(text("SELECT count(*) FROM ledger_entry")).scalar_one()
    assert stored == 3 * LEAVES - 2
    make_ahead(engine)
    _append(engine, 5, 3 * LEAVES - 2)


@pytest.mark.parametrize("number", [0, 3])  # one made by the migration, one by the job
@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("ledger_entry", "UPDATE {p} SET data = data"),
        ("ledger_entry", "DELETE FROM {p}"),
        ("ledger_entry", "TRUNCATE {p}"),
        ("ledger_opening", "UPDATE {p} SET payload = payload"),
        ("ledger_opening", "DELETE FROM {p}"),
        ("ledger_opening", "TRUNCATE {p}"),
        ("ledger_node", "UPDATE {p} SET hash = hash"),
        ("ledger_node", "DELETE FROM {p}"),
        ("ledger_node", "TRUNCATE {p}"),
    ],
)
def test_every_partition_refuses_changes(
    engine: Engine, table: str, change: str, number: int
) -> None:
    _append(engine, 40, 0)
    make_ahead(engine)
    _append(engine, 30, 40)  # partition 3 (attached by the job) now full, its node stored
    partition = f"{table}_p{number:06d}"
    with read_connection(engine) as connection:
        held = connection.execute(text(f"SELECT count(*) FROM {partition}")).scalar_one()
        triggers = connection.execute(
            text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:p AS regclass) "
                "AND NOT tgisinternal"
            ),
            {"p": partition},
        ).scalars()
    assert held > 0
    # Its own TRUNCATE refusal (statement triggers are not cloned), and the parent's row ones.
    assert f"{partition}_no_truncate" in set(triggers)
    # (An entry partition is also kept from TRUNCATE by the foreign keys that name it.)
    refused = "append-only|referenced in a foreign key"
    with pytest.raises(DBAPIError, match=refused), engine.begin() as connection:
        connection.execute(text(change.format(p=partition)))
