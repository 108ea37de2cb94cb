"""The sequencer: the one place that assigns log indices.

Exactly one writer sequences at a time, across processes and hosts: the append runs inside a
write transaction that first locks the ``ledger_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the transaction itself began with ``BEGIN IMMEDIATE``). Everything a
batch writes (entries, openings, tree nodes, the new head, and whatever rows the caller adds
in the same transaction) commits together or not at all, so indices have no gaps and no
duplicates, and the tree never describes an entry that is not there.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Table, update

from creditbank.canonical import canonical_json, is_plain
from creditbank.errors import InvalidInput, LedgerError
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import (
    MAX_INDEX,
    SALT_SIZE,
    Envelope,
    Opening,
    check_kind_and_actor,
    encode_plain,
    format_time,
)
from creditbank.ledger.hashing import LEAF_PREFIX
from creditbank.ledger.nodes import STORED_LEVELS, root_plan
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
    """What a batch became: its entries and the tree they produced.

    ``entries`` is built on first use: most callers only need ``indices`` or nothing at all,
    and a thousand envelope objects per batch are a noticeable part of an append's cost.
    """

    size: int
    root_hash: bytes
    first_index: int
    leaf_hashes: tuple[bytes, ...]
    _sealed: _Sealed = field(repr=False, compare=False)

    @property
    def indices(self) -> range:
        """Return the indices the batch was given, in order."""
        return range(self.first_index, self.size)

    @cached_property
    def entries(self) -> tuple[AppendedEntry, ...]:
        """Return each entry with its envelope and opening."""
        sealed = self._sealed
        prevs = (sealed.prev, *self.leaf_hashes[:-1])
        return tuple(
            AppendedEntry(
                index,
                leaf,
                Envelope(index, kind, sealed.time, actor, prev, digest),
                Opening(salt, payload),
            )
            for index, leaf, prev, kind, actor, digest, salt, payload in zip(
                self.indices,
                self.leaf_hashes,
                prevs,
                sealed.kinds,
                sealed.actors,
                sealed.commitments,
                sealed.salts,
                sealed.payloads,
                strict=True,
            )
        )


@dataclass(frozen=True)
class _Sealed:
    """The per-entry values of a batch, kept in columns until someone asks for objects."""

    time: str
    prev: bytes
    kinds: tuple[str, ...]
    actors: tuple[str, ...]
    commitments: tuple[bytes, ...]
    salts: tuple[bytes, ...]
    payloads: tuple[bytes, ...]


@dataclass
class LockClock:
    """When a transaction asked for the head row lock and when it got it (monotonic seconds)."""

    asked: float | None = None
    taken: float | None = None


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
    per-row parameter processing: one ``executemany`` on the DBAPI cursor on SQLite, a binary
    ``COPY`` on PostgreSQL (several times faster than row-by-row inserts on either). On SQLite
    the bytes go in as ``bytearray``: the sqlite3 module binds that type directly, while
    ``bytes`` first goes through its adapter lookup, which fails slowly (an AttributeError
    raised and cleared per value) before binding the same blob.
    """
    if not rows:
        return
    columns = [column.name for column in table.columns]
    names = ", ".join(columns)
    if is_sqlite(connection):
        marks = ", ".join("?" for _ in columns)
        # The table and column names are the log's own, never input.
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(statement, _blobs_as_bytearray(rows))
        finally:
            cursor.close()
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    copy_sql = f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        copy.set_types([_COPY_TYPES.get(column, "bytea") for column in columns])
        for row in rows:
            copy.write_row(row)


def _blobs_as_bytearray(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # Every log table is (integer key, blob, …): two shapes, each a comprehension in C speed.
    width = len(rows[0])
    if width == 2:
        return [(key, bytearray(a)) for key, a in rows]
    if width == 3:
        return [(key, bytearray(a), bytearray(b)) for key, a, b in rows]
    return [tuple(bytearray(v) if type(v) is bytes else v for v in row) for row in rows]


def _check_batch(entries: Sequence[NewEntry], moment: str, last_index: int) -> None:
    """Refuse bad kinds and actors; make sure every text field can use the plain encoding."""
    for kind, actor in {(entry.kind, entry.actor) for entry in entries}:
        check_kind_and_actor(kind, actor)
        if not (is_plain(str(kind)) and is_plain(actor)):
            raise InvalidInput(f"ledger kind {kind!r} or actor {actor!r} is not plain ASCII")
    if not is_plain(moment):
        raise LedgerError(f"entry time {moment!r} is not plain ASCII")
    if last_index > MAX_INDEX:
        raise LedgerError(f"the log cannot grow beyond {MAX_INDEX + 1} entries")


def append_entries(
    connection: Connection,
    entries: Sequence[NewEntry],
    *,
    now: datetime | None = None,
    clock: LockClock | None = None,
) -> AppendResult:
    """Append ``entries`` as one batch inside the caller's write transaction.

    Requires: ``connection`` is in a transaction from ``write_transaction`` (the caller commits).
    """
    if not entries:
        raise InvalidInput("a ledger batch needs at least one entry")
    moment = format_time(now or datetime.now(UTC))
    _check_batch(entries, moment, 0)
    _require_write_lock(connection)

    # 1. Lock the head: from here on this transaction is the only sequencer.
    asked = time.monotonic()
    head = read_head(connection, for_update=True)
    if clock is not None and clock.taken is None:
        clock.asked, clock.taken = asked, time.monotonic()
    first = head.size
    _check_batch((), moment, first + len(entries) - 1)
    frontier = load_frontier(connection, first)
    if frontier.root() != head.root_hash:
        raise LedgerError("stored tree does not match the head: run 'creditbank ledger verify'")

    # 2. Build envelopes, leaves and the new complete nodes in memory. This loop is the
    # Python cost of every entry, so it works on columns of plain values (no objects per
    # entry) and binds what it calls to locals.
    count = len(entries)
    salt_bytes = os.urandom(SALT_SIZE * count)  # one system call for the whole batch
    salts = [salt_bytes[i : i + SALT_SIZE] for i in range(0, SALT_SIZE * count, SALT_SIZE)]
    kinds = [str(entry.kind) for entry in entries]
    actors = [entry.actor for entry in entries]
    payloads = [canonical_json(entry.payload) for entry in entries]
    sha256 = hashlib.sha256
    commitments = [
        sha256(salt + payload).digest() for salt, payload in zip(salts, payloads, strict=True)
    ]
    datas: list[bytes] = []
    leaves: list[bytes] = []
    prev = head.last_leaf_hash
    index = first
    for kind, actor, digest in zip(kinds, actors, commitments, strict=True):
        data = encode_plain(
            index, kind=kind, time=moment, actor=actor, prev=prev, commitment=digest
        )
        prev = sha256(LEAF_PREFIX + data).digest()
        datas.append(data)
        leaves.append(prev)
        index += 1
    node_rows = frontier.extend(leaves, STORED_LEVELS)
    indices = range(first, first + count)

    # 3. Write them all; the head moves last, in the same transaction.
    write_rows(connection, entry_t, list(zip(indices, leaves, datas, strict=True)))
    write_rows(connection, opening_t, list(zip(indices, salts, payloads, strict=True)))
    write_rows(connection, node_t, node_rows)
    root = frontier.root()
    connection.execute(
        update(head_t)
        .where(head_t.c.id == HEAD_ID)
        .values(
            size=frontier.size, root_hash=root, last_leaf_hash=prev, updated_at=datetime.now(UTC)
        )
    )
    sealed = _Sealed(
        moment,
        head.last_leaf_hash,
        tuple(kinds),
        tuple(actors),
        tuple(commitments),
        tuple(salts),
        tuple(payloads),
    )
    return AppendResult(frontier.size, root, first, tuple(leaves), sealed)
