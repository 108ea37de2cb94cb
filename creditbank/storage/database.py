"""Database engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed append survives a power
loss before any proof for it is served. Write transactions that sequence the log start with
``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of failing when one of them
upgrades a read snapshot; PostgreSQL gets the same effect from a row lock (see the sequencer).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from creditbank.storage.private_files import make_private_database_file

_BEGIN_OPTION = "creditbank_sqlite_begin"


def normalise_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` URLs onto the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def among(connection: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> Any:
    """``column`` is one of ``values``: one array parameter on PostgreSQL, ``IN`` on SQLite.

    An ``IN`` list is a statement whose text grows with its length: psycopg re-parses such a
    query on every call (it caches only those of up to 50 parameters) and the server plans each
    length anew, a millisecond or two for 500 values. ``= ANY(%s)`` is one statement whatever
    the number of values. SQLite binds at most 32,766 parameters; callers keep chunking.
    """
    if is_sqlite(connection):
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN IMMEDIATE is possible (SQLAlchemy's
        # documented recipe for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # Deleted and overwritten content is zeroed in the file, not left in free space: an
        # erased learner's rows (and a destroyed data key) must not linger on disk.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_db_engine(url: str, **options: Any) -> Engine:
    """Create the engine for ``url`` with the settings the ledger relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            make_private_database_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            **options,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a transaction that may write the log; commits on success, rolls back on error."""
    with engine.connect() as plain:
        # SQLite: take the write lock at BEGIN, so two writers queue instead of deadlocking.
        connection = (
            plain.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}) if is_sqlite(engine) else plain
        )
        with connection.begin():
            yield connection


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of plain values (aware datetimes, no None-defaults needed) fast.

    PostgreSQL: one ``COPY`` whose rows psycopg encodes in C, where SQLAlchemy's executemany
    would send and encode each row as a statement of its own (about ten times the Python time
    per row). SQLite: the ordinary executemany, already one C loop in the sqlite3 module.
    """
    if not rows:
        return
    if is_sqlite(connection):
        connection.execute(insert(table), list(rows))
        return
    columns = [column.name for column in table.columns if column.name in rows[0]]
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    dbapi = connection.dialect.dbapi
    assert dbapi is not None
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
    except dbapi.Error as exc:
        # As SQLAlchemy would raise it (IntegrityError for a taken unique key, …).
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """Open a connection for reads, in one transaction so they see one snapshot."""
    with engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def snapshot_connection(engine: Engine) -> Iterator[Connection]:
    """Open a read-only transaction that sees one snapshot of every table (for backups).

    PostgreSQL's default READ COMMITTED takes a new snapshot per statement, so a multi-table
    read asks for REPEATABLE READ; an SQLite read transaction keeps its WAL snapshot anyway.
    """
    with engine.connect() as plain:
        connection = (
            plain
            if is_sqlite(engine)
            else plain.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        )
        with connection.begin():
            yield connection
