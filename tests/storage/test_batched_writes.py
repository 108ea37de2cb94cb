"""Rows gathered and written at once: the same rows on both engines, errors as SQLAlchemy's."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from unittest import mock

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    select,
)
from sqlalchemy.exc import IntegrityError

from creditbank.storage.batched_writes import Insert, InsertRows, Update, write_all
from creditbank.storage.database import is_sqlite, write_transaction
from creditbank.storage.types import UtcDateTime
from creditbank.wiring import Services

metadata = MetaData()
pairs = Table(
    "scratch_pair",
    metadata,
    Column("idx", BigInteger, primary_key=True),
    Column("blob", LargeBinary, nullable=False),
    Column("other", LargeBinary, nullable=False),
)
notes = Table(
    "scratch_note",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("text", Text, nullable=True),
    Column("at", UtcDateTime(), nullable=True),
)


@pytest.fixture
def engine(services: Services, engine_name: str) -> Iterator[Engine]:
    metadata.create_all(services.engine)
    yield services.engine
    metadata.drop_all(services.engine)


def test_rows_of_every_kind_are_written(engine: Engine) -> None:
    east = timezone(timedelta(hours=8))
    moment = datetime(2026, 9, 1, 8, 0, tzinfo=east)
    with write_transaction(engine) as connection:
        write_all(
            connection,
            [
                InsertRows(pairs, [(n, bytes([n]) * 3, b"\x00" + bytes([n])) for n in range(5)]),
                Insert(
                    notes,
                    [
                        {"id": "a", "count": 1, "text": "学分", "at": moment},
                        {"id": "b", "count": 2, "text": None, "at": None},
                        {"id": "c", "count": 3, "text": None, "at": None},
                    ],
                ),
                InsertRows(pairs, []),  # nothing to write is no statement at all
            ],
        )
    with write_transaction(engine) as connection:
        write_all(
            connection,
            [
                # Two shapes in one update: each sets only its own columns.
                Update(notes, "id", [{"id": "a", "count": 10}, {"id": "b", "text": "改"}]),
                Update(notes, "id", [{"id": "c", "count": 30, "text": "三"}]),
            ],
        )
    with engine.connect() as connection:
        stored_pairs = connection.execute(select(pairs).order_by(pairs.c.idx)).all()
        stored_notes = connection.execute(select(notes).order_by(notes.c.id)).all()
    assert [(i, bytes(b), bytes(o)) for i, b, o in stored_pairs] == [
        (n, bytes([n]) * 3, b"\x00" + bytes([n])) for n in range(5)
    ]
    assert [tuple(row) for row in stored_notes] == [
        ("a", 10, "学分", moment.astimezone(UTC)),
        ("b", 2, "改", None),
        ("c", 30, "三", None),
    ]


def test_a_taken_key_raises_integrity_error_and_writes_nothing(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        write_all(connection, [InsertRows(pairs, [(1, b"x", b"y")])])
    with pytest.raises(IntegrityError), write_transaction(engine) as connection:
        write_all(
            connection,
            [
                InsertRows(pairs, [(2, b"x", b"y")]),
                Insert(notes, [{"id": "n", "count": 1, "text": None, "at": None}]),
                InsertRows(pairs, [(1, b"again", b"y")]),
            ],
        )
    with engine.connect() as connection:
        assert connection.execute(select(pairs.c.idx)).scalars().all() == [1]
        assert connection.execute(select(notes.c.id)).scalars().all() == []


def test_postgres_sends_every_statement_in_one_pipeline(engine: Engine) -> None:
    """The point of gathering: on PostgreSQL the writes reach the server in one pipeline."""
    if is_sqlite(engine):
        pytest.skip("SQLite runs in process: there are no round trips to save")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with write_transaction(engine) as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        with mock.patch.object(
            type(raw), "pipeline", autospec=True, wraps=type(raw).pipeline
        ) as pipe:
            write_all(
                connection,
                [
                    InsertRows(pairs, [(n, b"a", b"b") for n in range(100)]),
                    Insert(notes, [{"id": "a", "count": 1, "text": None, "at": None}]),
                    Update(notes, "id", [{"id": "a", "count": 2}]),
                ],
            )
    assert pipe.call_count == 1
    assert statements == []  # nothing went around it, one statement at a time
    with engine.connect() as connection:
        assert connection.execute(select(notes.c.count)).scalar_one() == 2
