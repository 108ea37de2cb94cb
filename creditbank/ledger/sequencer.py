"""The sequencer: the one place that assigns log indices.

Exactly one writer sequences at a time, across processes and hosts: the append runs inside a
write transaction that first locks the ``ledger_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the transaction itself began with ``BEGIN IMMEDIATE``). Everything a
batch writes (entries, openings, tree nodes, the new head, and whatever rows the caller adds
in the same transaction) commits together or not at all, so indices have no gaps and no
duplicates, and the tree never describes an entry that is not there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from creditbank.errors import InvalidInput, LedgerError
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import (
    Envelope,
    Opening,
    check_kind_and_actor,
    format_time,
)
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.nodes import root_plan
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
    entry_rows: list[dict[str, Any]] = []
    opening_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    for offset, entry in enumerate(entries):
        index = head.size + offset
        opening = Opening.seal(entry.payload)
        envelope = Envelope(
            index=index,
            kind=entry.kind,
            time=moment,
            actor=entry.actor,
            prev=prev,
            commitment=opening.commitment,
        )
        data = envelope.encode()
        leaf = hash_leaf(data)
        entry_rows.append({"idx": index, "leaf_hash": leaf, "data": data})
        opening_rows.append({"idx": index, "salt": opening.salt, "payload": opening.payload_bytes})
        node_rows.extend({"id": node, "hash": digest} for node, digest in frontier.append(leaf))
        appended.append(AppendedEntry(index, leaf, envelope, opening))
        prev = leaf

    # 3. Write them all; the head moves last, in the same transaction.
    connection.execute(insert(entry_t), entry_rows)
    connection.execute(insert(opening_t), opening_rows)
    if node_rows:
        connection.execute(insert(node_t), node_rows)
    root = frontier.root()
    connection.execute(
        update(head_t)
        .where(head_t.c.id == HEAD_ID)
        .values(
            size=frontier.size, root_hash=root, last_leaf_hash=prev, updated_at=datetime.now(UTC)
        )
    )
    return AppendResult(tuple(appended), frontier.size, root)
