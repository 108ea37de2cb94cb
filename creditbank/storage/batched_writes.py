"""Rows gathered during a transaction and written together: one round trip on PostgreSQL.

The sequencer holds the log's head row from the moment it locks it until its transaction
commits, and every writer waiting for it pays each round trip made in between. So the rows
of a sequenced group (entries, openings, tree nodes, record versions, batch answers, the new
head) are gathered first and written by :func:`write_all` at once:

- on PostgreSQL, one ``INSERT … SELECT … FROM unnest(…)`` (or ``UPDATE … FROM unnest(…)``)
  per table with one array parameter per column, every statement in one pipeline: the server
  gets them in one message and answers once. (``COPY`` needs two round trips per table and
  cannot join a pipeline.) The statements' text depends only on the table and its columns,
  never on the number of rows, so the server keeps one prepared plan for each.
- on SQLite (in process: no round trips) one ``executemany`` per table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, TypeDecorator, bindparam, insert, update
from sqlalchemy.exc import DBAPIError

from creditbank.storage.database import is_sqlite


@dataclass(frozen=True)
class Insert:
    """Rows to insert into ``table``, each a mapping of column name to value."""

    table: Table
    rows: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class InsertRows:
    """Rows to insert into ``table`` as tuples of every column, in the table's order.

    The log's own rows (integers and bytes already checked) take this form: no mapping per
    row to build or read.
    """

    table: Table
    rows: Sequence[tuple[Any, ...]]


@dataclass(frozen=True)
class Update:
    """Rows of ``table`` to update, found by column ``key``; each sets its other columns."""

    table: Table
    key: str
    rows: Sequence[Mapping[str, Any]]


Write = Insert | InsertRows | Update


def write_all(connection: Connection, writes: Sequence[Write]) -> None:
    """Write every row of ``writes``, in order, inside the connection's open transaction.

    Raises as SQLAlchemy would (``IntegrityError`` for a taken unique key, …).
    """
    writes = [part for write in writes if write.rows for part in _by_shape(write)]
    if not writes:
        return
    dbapi = connection.dialect.dbapi
    assert dbapi is not None
    if is_sqlite(connection):
        try:
            for write in writes:
                _sqlite(connection, write)
        except dbapi.Error as exc:  # from the raw cursor: raise it as SQLAlchemy would
            raise DBAPIError.instance(write.table.name, None, exc, dbapi.Error) from exc
        return
    statements = [_postgres(connection, write) for write in writes]
    raw = connection.connection.driver_connection
    assert raw is not None
    try:
        with raw.pipeline(), raw.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
    except dbapi.Error as exc:
        # As SQLAlchemy would raise it (IntegrityError for a taken unique key, …).
        raise DBAPIError.instance(statements[0][0], None, exc, dbapi.Error) from exc


def _sqlite(connection: Connection, write: Write) -> None:
    table = write.table
    if isinstance(write, Insert):
        connection.execute(insert(table), list(write.rows))
    elif isinstance(write, InsertRows):
        names = [column.name for column in table.columns]
        marks = ", ".join("?" for _ in names)
        # The table and column names are the schema's own, never input.
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, _blobs_as_bytearray(write.rows))
        finally:
            cursor.close()
    else:
        key = write.key
        columns = [column for column in write.rows[0] if column != key]
        # Bound names must differ from the column names an UPDATE sets.
        statement = (
            update(table)
            .where(table.c[key] == bindparam(f"k_{key}"))
            .values({column: bindparam(f"v_{column}") for column in columns})
        )
        connection.execute(
            statement,
            [
                {f"k_{key}": row[key], **{f"v_{column}": row[column] for column in columns}}
                for row in write.rows
            ],
        )


def _by_shape(write: Write) -> list[Write]:
    """An update's rows grouped by the columns they set (one statement each); others as they are."""
    if not isinstance(write, Update):
        return [write]
    shapes: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in write.rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    return [Update(write.table, write.key, rows) for rows in shapes.values()]


def _blobs_as_bytearray(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # The sqlite3 module binds bytearray directly, while bytes first goes through its adapter
    # lookup, which fails slowly (an AttributeError raised and cleared per value). Every log
    # table is (integer key, blob, …): two shapes, each a comprehension at C speed.
    width = len(rows[0])
    if width == 2:
        return [(key, bytearray(a)) for key, a in rows]
    if width == 3 and type(rows[0][1]) is bytes:
        return [(key, bytearray(a), bytearray(b)) for key, a, b in rows]
    return [tuple(bytearray(v) if type(v) is bytes else v for v in row) for row in rows]


def _array_type(connection: Connection, column: Column[Any]) -> str:
    return f"{column.type.compile(dialect=connection.dialect)}[]"


def _bound(connection: Connection, column: Column[Any], values: list[Any]) -> list[Any]:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        return [kind.process_bind_param(value, connection.dialect) for value in values]
    return values


def _postgres(connection: Connection, write: Write) -> tuple[str, list[list[Any]]]:
    """One statement with one array parameter per column (names are the schema's own)."""
    table = write.table
    if isinstance(write, InsertRows):
        columns = list(table.columns)
        values = [list(column) for column in zip(*write.rows, strict=True)]
    else:
        columns = [table.c[name] for name in write.rows[0]]
        values = [[row[c.name] for row in write.rows] for c in columns]
    params = [_bound(connection, c, v) for c, v in zip(columns, values, strict=True)]
    # %b: arrays in binary form. In text form psycopg escapes every element in Python, about
    # fifteen times slower for a thousand rows, and that time was spent under the lock.
    arrays = ", ".join(f"%b::{_array_type(connection, c)}" for c in columns)
    names = ", ".join(c.name for c in columns)
    if not isinstance(write, Update):
        return f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})", params  # noqa: S608
    sets = ", ".join(f"{c.name} = v.{c.name}" for c in columns if c.name != write.key)
    sql = (
        f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
        f"WHERE {table.name}.{write.key} = v.{write.key}"
    )
    return sql, params
