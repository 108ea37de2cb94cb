"""Reads of the stored log: head, entries, nodes and checkpoints, through one connection."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from creditbank.errors import LedgerError
from creditbank.ledger.envelope import SALT_SIZE
from creditbank.ledger.hashing import hash_children
from creditbank.ledger.nodes import covering_nodes
from creditbank.ledger.sealed_openings import installed_source, open_sealed
from creditbank.ledger.tables import (
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    LedgerOpening,
    LedgerSealedOpening,
)

HEAD_ID = 1
# Keep IN lists well below every engine's bound-parameter limit.
_CHUNK = 500

entry_t = LedgerEntry.__table__  # type: ignore[attr-defined]
node_t = LedgerNode.__table__  # type: ignore[attr-defined]
opening_t = LedgerOpening.__table__  # type: ignore[attr-defined]
sealed_opening_t = LedgerSealedOpening.__table__  # type: ignore[attr-defined]
checkpoint_t = LedgerCheckpoint.__table__  # type: ignore[attr-defined]
head_t = LedgerHead.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Head:
    """The committed state of the log."""

    size: int
    root_hash: bytes
    last_leaf_hash: bytes
    updated_at: datetime


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint as stored: its size, root and the signed note text."""

    id: int
    size: int
    root_hash: bytes
    note: str
    created_at: datetime


def read_head(connection: Connection, *, for_update: bool = False) -> Head:
    """Read the head row; ``for_update`` takes the sequencer's lock (PostgreSQL row lock)."""
    query = select(head_t).where(head_t.c.id == HEAD_ID)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).one_or_none()
    if row is None:
        raise LedgerError("the ledger is not initialised: run 'creditbank init'")
    return Head(row.size, row.root_hash, row.last_leaf_hash, row.updated_at)


def try_lock_head(connection: Connection) -> Head | None:
    """Take the sequencer's row lock if nobody holds it (PostgreSQL ``SKIP LOCKED``).

    Returns the head as locked (so the sequencer need not read it again), or None when
    another transaction holds it (or the ledger has no head: ``read_head`` says which).
    """
    query = select(head_t).where(head_t.c.id == HEAD_ID).with_for_update(skip_locked=True)
    row = connection.execute(query).first()
    if row is None:
        return None
    return Head(row.size, row.root_hash, row.last_leaf_hash, row.updated_at)


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class StoredNodes:
    """A :class:`~creditbank.ledger.proofs.NodeReader` over the database.

    Leaves (even node ids) come from ``ledger_entry.leaf_hash``; interior nodes at the stored
    levels from ``ledger_node``; any other interior node is folded from the (at most eight)
    stored nodes or leaves just below it. A request costs at most two indexed queries per
    500 rows, whatever the tree size.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def read_nodes(self, ids: Collection[int]) -> Mapping[int, bytes]:
        """Return the hash of every requested node id."""
        cover = {node: covering_nodes(node) for node in ids}
        wanted = {part for parts in cover.values() for part in parts}
        leaves = sorted(part // 2 for part in wanted if part % 2 == 0)
        interior = sorted(part for part in wanted if part % 2 == 1)
        found: dict[int, bytes] = {}
        for chunk in _chunks(leaves):
            rows = self._connection.execute(
                select(entry_t.c.idx, entry_t.c.leaf_hash).where(entry_t.c.idx.in_(chunk))
            )
            found.update((2 * idx, leaf_hash) for idx, leaf_hash in rows)
        for chunk in _chunks(interior):
            rows = self._connection.execute(
                select(node_t.c.id, node_t.c.hash).where(node_t.c.id.in_(chunk))
            )
            found.update((node, digest) for node, digest in rows)
        result: dict[int, bytes] = {}
        missing: list[int] = []
        for node, parts in cover.items():
            hashes = [found.get(part) for part in parts]
            if all(hashes):
                result[node] = _fold_perfect([h for h in hashes if h is not None])
            else:
                missing.append(node)
        if missing:
            raise LedgerError(f"stored tree is missing nodes {sorted(missing)[:5]}")
        return result


def _fold_perfect(hashes: list[bytes]) -> bytes:
    """The root of a perfect subtree from its 2**k equal, consecutive subtree hashes."""
    while len(hashes) > 1:
        hashes = [hash_children(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def read_entries(connection: Connection, start: int, end: int) -> list[tuple[int, bytes]]:
    """Return ``(index, entry bytes)`` for ``start <= index < end`` in order."""
    rows = connection.execute(
        select(entry_t.c.idx, entry_t.c.data)
        .where(entry_t.c.idx >= start, entry_t.c.idx < end)
        .order_by(entry_t.c.idx)
    )
    return [(idx, data) for idx, data in rows]


def read_openings(
    connection: Connection, indices: Collection[int]
) -> dict[int, tuple[bytes, bytes]]:
    """Return ``index -> (salt, payload bytes)`` for those of ``indices`` that can be read.

    Openings in clear, and sealed ones whose learner's key the installed key store holds.
    Missing: erased openings, and sealed ones whose key is gone (see :func:`sealed_unreadable`).
    """
    found: dict[int, tuple[bytes, bytes]] = {}
    for chunk in _chunks(sorted(indices)):
        rows = connection.execute(
            select(opening_t.c.idx, opening_t.c.salt, opening_t.c.payload).where(
                opening_t.c.idx.in_(chunk)
            )
        )
        found.update((idx, (salt, payload)) for idx, salt, payload in rows)
    sealed = _read_sealed([idx for idx in indices if idx not in found], connection)
    if sealed:
        source = installed_source(connection)
        learners = {learner for learner, _ in sealed.values()}
        keys = {} if source is None else source.keys_for(connection, learners, create=False)
        for idx, (learner, blob) in sealed.items():
            key = keys.get(learner)
            if key is not None:
                found[idx] = open_sealed(key, idx, learner, blob, SALT_SIZE)
    return found


def _read_sealed(indices: Collection[int], connection: Connection) -> dict[int, tuple[str, bytes]]:
    sealed: dict[int, tuple[str, bytes]] = {}
    for chunk in _chunks(sorted(indices)):
        rows = connection.execute(
            select(
                sealed_opening_t.c.idx, sealed_opening_t.c.learner, sealed_opening_t.c.sealed
            ).where(sealed_opening_t.c.idx.in_(chunk))
        )
        sealed.update((idx, (learner, blob)) for idx, learner, blob in rows)
    return sealed


def sealed_unreadable(connection: Connection, indices: Collection[int]) -> set[int]:
    """Those of ``indices`` kept sealed under a learner key this instance does not hold.

    After an erasure the key is destroyed; a backup restored from before it still holds the
    sealed rows, which open for no one. The audit excuses these as it excuses erasures.
    """
    sealed = _read_sealed(indices, connection)
    if not sealed:
        return set()
    source = installed_source(connection)
    if source is None:
        return set(sealed)
    keys = source.keys_for(connection, {learner for learner, _ in sealed.values()}, create=False)
    return {idx for idx, (learner, _) in sealed.items() if learner not in keys}


def _checkpoint(row: object) -> StoredCheckpoint:
    return StoredCheckpoint(
        id=row.id,  # type: ignore[attr-defined]
        size=row.size,  # type: ignore[attr-defined]
        root_hash=row.root_hash,  # type: ignore[attr-defined]
        note=row.note,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
    )


def latest_checkpoint(connection: Connection) -> StoredCheckpoint | None:
    """Return the checkpoint of the largest size (newest among equals), if any."""
    row = connection.execute(
        select(checkpoint_t).order_by(checkpoint_t.c.size.desc(), checkpoint_t.c.id.desc()).limit(1)
    ).one_or_none()
    return None if row is None else _checkpoint(row)


def all_checkpoints(connection: Connection) -> Iterator[StoredCheckpoint]:
    """Yield every stored checkpoint in publication order."""
    for row in connection.execute(select(checkpoint_t).order_by(checkpoint_t.c.id)):
        yield _checkpoint(row)
