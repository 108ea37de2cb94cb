"""The sequencer: the one place that assigns log indices.

Exactly one writer sequences at a time, across processes and hosts: the append runs inside a
write transaction that locks the ``ledger_head`` row (``SELECT … FOR UPDATE`` on PostgreSQL;
on SQLite the transaction itself began with ``BEGIN IMMEDIATE``). Everything a batch writes
(entries, openings, tree nodes, the new head, and whatever rows the caller adds in the same
transaction) commits together or not at all, so indices have no gaps and no duplicates, and
the tree never describes an entry that is not there.

Only what needs the order happens under the lock: :func:`seal_entries` checks and seals the
entries beforehand (salts, canonical payloads, commitments), the frontier comes from memory
when it matches the head (``frontier.py``), and every row goes in with one round trip on
PostgreSQL (``storage/batched_writes.py``). :func:`sequence_batches` orders several requests'
batches in one transaction (``group.py``).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from creditbank.canonical import canonical_json_each, is_plain
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
from creditbank.ledger.frontier import FRONTIERS
from creditbank.ledger.hashing import LEAF_PREFIX
from creditbank.ledger.nodes import STORED_LEVELS
from creditbank.ledger.sealed_openings import installed_source, seal_opening, subject_of
from creditbank.ledger.store import (
    HEAD_ID,
    Head,
    entry_t,
    head_t,
    node_t,
    opening_t,
    read_head,
    sealed_opening_t,
)
from creditbank.storage.batched_writes import InsertRows, Update, Write, write_all
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
class SealedBatch:
    """A batch's entries with everything that does not depend on where they land in the log.

    Checking kinds and actors, drawing salts, encoding payloads and hashing commitments take
    most of an entry's Python cost and need no order, so they happen before the head row is
    locked; only the envelopes (index, ``prev``) and the tree are left for the lock.
    """

    time: str
    kinds: tuple[str, ...]
    actors: tuple[str, ...]
    salts: tuple[bytes, ...]
    payloads: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    # The learner each entry is about (its payload's ``learner``): its opening is sealed.
    learners: tuple[str | None, ...] = ()

    def __len__(self) -> int:
        """Return the number of entries."""
        return len(self.kinds)


@dataclass(frozen=True)
class AppendResult:
    """What a batch became: its entries and the tree as it stood after its last one.

    ``entries`` is built on first use: most callers only need ``indices`` or nothing at all,
    and a thousand envelope objects per batch are a noticeable part of an append's cost.
    """

    size: int
    root_hash: bytes
    first_index: int
    leaf_hashes: tuple[bytes, ...]
    _sealed: SealedBatch = field(repr=False, compare=False)
    _prev: bytes = field(repr=False, compare=False)

    @property
    def indices(self) -> range:
        """Return the indices the batch was given, in order."""
        return range(self.first_index, self.size)

    @cached_property
    def entries(self) -> tuple[AppendedEntry, ...]:
        """Return each entry with its envelope and opening."""
        sealed = self._sealed
        prevs = (self._prev, *self.leaf_hashes[:-1])
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


# PostgreSQL's SQLSTATE for a row no partition accepts (a partition constraint).
_CHECK_VIOLATION = "23514"
_NO_PARTITION = re.compile(r'no partition of relation "(\w+)"')


def seal_entries(entries: Sequence[NewEntry], *, now: datetime | None = None) -> SealedBatch:
    """Check and seal ``entries`` without touching the database (no lock needed)."""
    if not entries:
        raise InvalidInput("a ledger batch needs at least one entry")
    moment = format_time(now or datetime.now(UTC))
    for kind, actor in {(entry.kind, entry.actor) for entry in entries}:
        check_kind_and_actor(kind, actor)
        if not (is_plain(str(kind)) and is_plain(actor)):
            raise InvalidInput(f"ledger kind {kind!r} or actor {actor!r} is not plain ASCII")
    if not is_plain(moment):
        raise LedgerError(f"entry time {moment!r} is not plain ASCII")
    count = len(entries)
    salt_bytes = os.urandom(SALT_SIZE * count)  # one system call for the whole batch
    salts = tuple(salt_bytes[i : i + SALT_SIZE] for i in range(0, SALT_SIZE * count, SALT_SIZE))
    payloads = tuple(canonical_json_each(entry.payload for entry in entries))
    sha256 = hashlib.sha256
    return SealedBatch(
        time=moment,
        kinds=tuple(str(entry.kind) for entry in entries),
        actors=tuple(entry.actor for entry in entries),
        salts=salts,
        payloads=payloads,
        commitments=tuple(
            sha256(salt + payload).digest() for salt, payload in zip(salts, payloads, strict=True)
        ),
        learners=tuple(subject_of(entry.payload) for entry in entries),
    )


def sequence_batches(
    connection: Connection,
    batches: Sequence[SealedBatch],
    *,
    clock: LockClock | None = None,
    then: Callable[[list[AppendResult]], Sequence[Write]] | None = None,
    locked: Head | None = None,
    keys: Mapping[str, bytes] | None = None,
) -> list[AppendResult]:
    """Give ``batches`` consecutive indices, in order, inside the caller's write transaction.

    This is the serial section: lock the head, take the frontier (from memory when it matches
    the head), build envelopes, leaves and nodes, then write the log's rows for every batch,
    the caller's index-bearing rows (what ``then`` returns for the results) and the new head
    in one :func:`~creditbank.storage.batched_writes.write_all`. Each batch's result carries
    its own range and the tree after it. A caller that already holds the lock passes the head
    it locked as ``locked``, and may pass learners' data keys it read before the lock.

    Requires: ``connection`` is in a transaction from ``write_transaction`` (the caller commits).
    """
    if not batches or not all(batches):
        raise InvalidInput("a ledger batch needs at least one entry")
    _require_write_lock(connection)

    # 1. Lock the head: from here on this transaction is the only sequencer.
    asked = time.monotonic()
    head = locked if locked is not None else read_head(connection, for_update=True)
    if clock is not None and clock.taken is None:
        clock.asked, clock.taken = asked, time.monotonic()
    if head.size + sum(len(batch) for batch in batches) - 1 > MAX_INDEX:
        raise LedgerError(f"the log cannot grow beyond {MAX_INDEX + 1} entries")
    frontier = FRONTIERS.frontier(connection, head)
    before = CompactRange(frontier.size, frontier.hashes)

    # 2. Envelopes, leaves and new complete nodes in memory. This loop is the Python cost of
    # every entry under the lock, so it works on columns of plain values and binds locals.
    sha256 = hashlib.sha256
    entry_rows: list[tuple[int, bytes, bytes]] = []
    opening_rows: list[tuple[int, bytes, bytes]] = []
    sealed_rows: list[tuple[int, str, bytes]] = []
    node_rows: list[tuple[int, bytes]] = []
    results: list[AppendResult] = []
    prev = head.last_leaf_hash
    for batch in batches:
        first = frontier.size
        batch_prev = prev
        moment = batch.time
        leaves: list[bytes] = []
        index = first
        for kind, actor, digest in zip(batch.kinds, batch.actors, batch.commitments, strict=True):
            data = encode_plain(
                index, kind=kind, time=moment, actor=actor, prev=prev, commitment=digest
            )
            prev = sha256(LEAF_PREFIX + data).digest()
            entry_rows.append((index, prev, data))
            leaves.append(prev)
            index += 1
        indices = range(first, index)
        if any(batch.learners):
            sealed_rows += _split_openings(connection, batch, indices, opening_rows, keys or {})
        else:
            opening_rows += zip(indices, batch.salts, batch.payloads, strict=True)
        node_rows += frontier.extend(leaves, STORED_LEVELS)
        root = frontier.root()  # O(log n) hashes: each batch gets the tree it completes
        results.append(AppendResult(index, root, first, tuple(leaves), batch, batch_prev))

    # 3. Write them all at once; the head moves last, in the same transaction.
    moved = {
        "id": HEAD_ID,
        "size": frontier.size,
        "root_hash": root,
        "last_leaf_hash": prev,
        "updated_at": datetime.now(UTC),
    }
    try:
        write_all(
            connection,
            [
                InsertRows(entry_t, entry_rows),
                InsertRows(opening_t, opening_rows),
                InsertRows(sealed_opening_t, sealed_rows),
                InsertRows(node_t, node_rows),
                *(then(results) if then is not None else ()),
                Update(head_t, "id", [moved]),
            ],
        )
    except DBAPIError as exc:
        refused = _NO_PARTITION.search(str(exc.orig))
        if getattr(exc.orig, "sqlstate", None) == _CHECK_VIOLATION and refused:
            raise LedgerError(
                f"no partition of {refused.group(1)} holds indices up to {frontier.size - 1}: "
                "the log's partitions are made ahead by the 'partitions' job (creditbank "
                "scheduler run-once partitions); nothing was appended"
            ) from exc
        raise
    FRONTIERS.remember(connection, (before, frontier))
    return results


def _split_openings(
    connection: Connection,
    batch: SealedBatch,
    indices: range,
    opening_rows: list[tuple[int, bytes, bytes]],
    known: Mapping[str, bytes],
) -> list[tuple[int, str, bytes]]:
    """Seal the openings of entries about a learner; the others go to ``opening_rows``.

    Keys in ``known`` were read before the lock; only the others are read here.
    """
    source = installed_source(connection)
    if source is None:  # no key store: the log's own tools keep every opening in clear
        opening_rows += zip(indices, batch.salts, batch.payloads, strict=True)
        return []
    wanted = {learner for learner in batch.learners if learner is not None}
    keys = dict(known)
    missing = wanted - keys.keys()
    if missing:
        keys.update(source.keys_for(connection, missing, create=True))
    sealed: list[tuple[int, str, bytes]] = []
    for index, learner, salt, payload in zip(
        indices, batch.learners, batch.salts, batch.payloads, strict=True
    ):
        if learner is None:
            opening_rows.append((index, salt, payload))
            continue
        key = keys.get(learner)
        if key is None:
            raise LedgerError("an entry names a learner whose data was erased")
        sealed.append((index, learner, seal_opening(key, index, learner, salt, payload)))
    return sealed


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
    return sequence_batches(connection, [seal_entries(entries, now=now)], clock=clock)[0]
