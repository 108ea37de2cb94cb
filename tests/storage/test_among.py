"""``among``: one array parameter on PostgreSQL, an ``IN`` list on SQLite, the same rows."""

from collections.abc import Iterator

import pytest
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, event, insert, select

from creditbank.storage.database import among, is_sqlite, read_connection, write_transaction
from creditbank.wiring import Services

metadata = MetaData()
items = Table(
    "scratch_among",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", BigInteger, nullable=False),
)


@pytest.fixture
def engine(services: Services, engine_name: str) -> Iterator[Engine]:
    metadata.create_all(services.engine)
    with write_transaction(services.engine) as connection:
        connection.execute(insert(items), [{"id": f"r{n}", "number": n} for n in range(1000)])
    yield services.engine
    metadata.drop_all(services.engine)


@pytest.mark.parametrize("count", [0, 1, 7, 600])
def test_the_rows_named_and_no_others(engine: Engine, count: int) -> None:
    wanted = [f"r{n}" for n in range(0, 2 * count, 2)] + ["missing", "r1000"]
    with read_connection(engine) as connection:
        found = connection.execute(
            select(items.c.id, items.c.number).where(among(connection, items.c.id, wanted))
        ).all()
        numbers = connection.execute(
            select(items.c.id).where(among(connection, items.c.number, list(range(count))))
        ).scalars()
        assert sorted(numbers) == sorted(f"r{n}" for n in range(count))
    assert sorted(found) == sorted((f"r{n}", n) for n in range(0, min(2 * count, 1000), 2))


def test_postgresql_sends_one_statement_whatever_the_count(engine: Engine) -> None:
    if is_sqlite(engine):
        pytest.skip("SQLite binds an IN list in process: no statement to parse again")
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    with read_connection(engine) as connection:
        for count in (3, 60, 600):
            wanted = [f"r{n}" for n in range(count)]
            connection.execute(select(items.c.id).where(among(connection, items.c.id, wanted)))
    assert len(sent) == 3 and len(set(sent)) == 1, sent
