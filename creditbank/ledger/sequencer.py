"""The sequencer: the one place that assigns log indices.

Exactly one writer sequences at a time, across processes and hosts: the append runs inside a
write transaction that first locks the ``ledger_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the transaction itself began with ``BEGIN IMMEDIATE``). Everything a
batch writes (entries, openings, tree nodes, the new head, and whatever rows the caller adds
in the same transaction) commits together or not at all, so indices have no gaps and no
duplicates, and the tree never describes an entry that is not there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, update

from creditbank.errors import InvalidInput, LedgerError
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import (
    SALT_SIZE,
    Envelope,
    Opening,
    check_kind_and_actor,
    format_time,
)
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.nodes import is_stored, root_plan
from creditbank.ledger.store import (
    HEAD_ID,
    StoredNodes,
    entry_t,
    head_t,
    node_t,
    opening_t,
    read_head,
)
from creditbank.storage.database import is_sqlite


@dataclass(frozen=True)
class NewEntry:
    """A state change to record: its kind, the public actor, and the (private) payload."""

    kind: str
    actor: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class AppendedEntry:
    """An entry as sequenced: its index, leaf hash, envelope and the opening kept aside."""

    index: int
    leaf_hash: bytes
    envelope: Envelope
    opening: Opening


@dataclass(frozen=True)
class AppendResult:
    """What a batch became: its entries and the tree they produced."""

    entries: tuple[AppendedEntry, ...]
    size: int
    root_hash: bytes


def _require_write_lock(connection: Connection) -> None:
    if is_sqlite(connection):
        mode = connection.get_execution_options().get("creditbank_sqlite_begin")
        if mode != "IMMEDIATE":
            raise LedgerError(
                "ledger appends must run in creditbank.storage.database.write_transaction"
            )


def load_frontier(connection: Connection, size: int) -> CompactRange:
    """Read the perfect subtrees covering ``[0, size)``: O(log size) nodes, one query each kind."""
    plan = root_plan(size)
    if not plan:
        return CompactRange.empty()
    found = StoredNodes(connection).read_nodes(plan)
    return CompactRange(size, [found[node] for node in plan])


_COPY_TYPES = {"idx": "int8", "id": "int8"}


def write_rows(connection: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert many rows of a log table as fast as the driver allows, in the open transaction.

    The log's rows are plain integers and bytes already validated, so they skip SQLAlchemy's
    per-row parameter processing: one ``executemany`` on SQLite, a binary ``COPY`` on
    PostgreSQL (several times faster than row-by-row inserts on either).
    """
    if not rows:
        return
    columns = [column.name for column in table.columns]
    names = ", ".join(columns)
    if is_sqlite(connection):
        marks = ", ".join("?" for _ in columns)
        # The table and column names are the log's own, never input.
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
        connection.exec_driver_sql(statement, list(rows))
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    copy_sql = f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        copy.set_types([_COPY_TYPES.get(column, "bytea") for column in columns])
        for row in rows:
            copy.write_row(row)


def append_entries(
    connection: Connection, entries: Sequence[NewEntry], *, now: datetime | None = None
) -> AppendResult:
    """Append ``entries`` as one batch inside the caller's write transaction.

    Requires: ``connection`` is in a transaction from ``write_transaction`` (the caller commits).
    """
    if not entries:
        raise InvalidInput("a ledger batch needs at least one entry")
    for entry in entries:
        check_kind_and_actor(entry.kind, entry.actor)
    _require_write_lock(connection)
    moment = format_time(now or datetime.now(UTC))

    # 1. Lock the head: from here on this transaction is the only sequencer.
    head = read_head(connection, for_update=True)
    frontier = load_frontier(connection, head.size)
    if frontier.root() != head.root_hash:
        raise LedgerError("stored tree does not match the head: run 'creditbank ledger verify'")

    # 2. Build envelopes, leaves and the new complete nodes in memory.
    prev = head.last_leaf_hash
    appended: list[AppendedEntry] = []
    entry_rows: list[tuple[int, bytes, bytes]] = []
    opening_rows: list[tuple[int, bytes, bytes]] = []
    node_rows: list[tuple[int, bytes]] = []
    salts = os.urandom(SALT_SIZE * len(entries))  # one system call for the whole batch
    for offset, entry in enumerate(entries):
        index = head.size + offset
        salt = salts[offset * SALT_SIZE : (offset + 1) * SALT_SIZE]
        opening = Opening.seal(entry.payload, salt)
        envelope = Envelope(
            index=index,
            kind=str(entry.kind),
            time=moment,
            actor=entry.actor,
            prev=prev,
            commitment=opening.commitment,
        )
        data = envelope.encode()
        leaf = hash_leaf(data)
        entry_rows.append((index, leaf, data))
        opening_rows.append((index, opening.salt, opening.payload_bytes))
        node_rows.extend(node for node in frontier.append(leaf) if is_stored(node[0]))
        appended.append(AppendedEntry(index, leaf, envelope, opening))
        prev = leaf

    # 3. Write them all; the head moves last, in the same transaction.
    write_rows(connection, entry_t, entry_rows)
    write_rows(connection, opening_t, opening_rows)
    write_rows(connection, node_t, node_rows)
    root = frontier.root()
    connection.execute(
        update(head_t)
        .where(head_t.c.id == HEAD_ID)
        .values(
            size=frontier.size, root_hash=root, last_leaf_hash=prev, updated_at=datetime.now(UTC)
        )
    )
    return AppendResult(tuple(appended), frontier.size, root)
