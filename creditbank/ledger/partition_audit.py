"""Audit one partition of the log on its own, against the latest signed checkpoint.

A partition holds leaves ``[k·N, (k+1)·N)`` with N a power of two (see
:mod:`creditbank.ledger.partitions`; on SQLite the same ranges, unpartitioned), so its leaves
are one subtree of the log's tree. This audit reads that partition's entries, openings and
nodes, and one entry before it, and nothing else of the log but the few stored nodes on the
subtree's path to the root:

- every index is present, each envelope well-formed at its own index, each linked to its
  predecessor (the first to the hash of the previous partition's last entry bytes);
- every payload opens its commitment, or its erasure is recorded;
- stored leaf hashes and the stored nodes inside the subtree equal the recomputed ones;
- the subtree's recomputed root, with the stored nodes beside its path, gives the root of
  the latest checkpoint, whose signature is checked.

The last holds only if the entries are the ones the checkpoint signed, whatever the stored
nodes say (they can only make the check fail). So partitions can be audited one at a time,
on another schedule or host, or right after one is restored, in time proportional to N.
Entries appended since the latest checkpoint are the incremental audit's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from creditbank.errors import AuditFailed, AuditFinding, CreditbankError, LedgerError
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import GENESIS_PREV, decode_envelope
from creditbank.ledger.erasure import erased
from creditbank.ledger.full_audit import check_opening
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.nodes import is_stored, node_id, node_position
from creditbank.ledger.note import NoteVerifier
from creditbank.ledger.partitions import DEFAULT_LEAVES, leaves_per_partition
from creditbank.ledger.proof_checks import verify_inclusion
from creditbank.ledger.proofs import inclusion_proof
from creditbank.ledger.store import (
    StoredNodes,
    entry_t,
    latest_checkpoint,
    read_entries,
    read_openings,
)

PAGE = 5000


@dataclass(frozen=True)
class PartitionReport:
    """What a clean audit of one partition covered."""

    number: int
    first: int
    end: int  # one past the last index checked
    checkpoint_size: int
    root_hash: bytes  # the subtree's recomputed root
    nodes_checked: int


def _fail(check: str, detail: str, index: int | None = None) -> AuditFailed:
    return AuditFailed(AuditFinding(check=check, detail=detail, index=index))


def audit_partition(
    connection: Connection,
    number: int,
    verifiers: Sequence[NoteVerifier],
    origin: str,
    *,
    unpartitioned: int = DEFAULT_LEAVES,
) -> PartitionReport:
    """Check partition ``number``; raise :class:`AuditFailed` naming the first problem.

    On an unpartitioned log (SQLite) a partition is a range of ``unpartitioned`` indices.
    """
    leaves = leaves_per_partition(connection) or unpartitioned
    first = number * leaves
    checkpoint = latest_checkpoint(connection)
    if checkpoint is None or checkpoint.size <= first:
        raise LedgerError(f"no signed checkpoint covers partition {number} yet")
    try:
        open_checkpoint(checkpoint.note, verifiers, origin)
    except CreditbankError as exc:
        raise _fail("checkpoint signature", f"checkpoint #{checkpoint.id}: {exc.detail}") from None
    stop = min(first + leaves, checkpoint.size)
    prev = GENESIS_PREV
    if first:
        before = read_entries(connection, first - 1, first)
        if not before:
            raise _fail("missing entry", f"entry {first - 1} is absent", first - 1)
        prev = hash_leaf(before[0][1])
    walk = _Subtree(first, prev)
    while walk.index < stop:
        walk.page(connection, min(walk.index + PAGE, stop))
    root = walk.tree.root()
    # The subtree's path to the signed root: the first leaf's proof above the subtree.
    count = stop - first
    inner = (count - 1).bit_length()
    above = inclusion_proof(StoredNodes(connection), first, checkpoint.size)[inner:]
    level = leaves.bit_length() - 1
    try:
        verify_inclusion(
            number, ((checkpoint.size - 1) >> level) + 1, root, above, checkpoint.root_hash
        )
    except CreditbankError as exc:
        raise _fail(
            "checkpoint root",
            f"partition {number} (entries {first}..{stop - 1}) and the stored nodes beside "
            f"its path do not give the root of checkpoint #{checkpoint.id} (this partition "
            f"or a stored hash of another differs from what was signed): {exc.detail}",
            first,
        ) from None
    return PartitionReport(number, first, stop, checkpoint.size, root, walk.nodes_checked)


class _Subtree:
    """The walk over one partition's entries: its own tree, from the chain's link before it."""

    def __init__(self, first: int, prev: bytes) -> None:
        self.first = first
        self.index = first
        self.prev = prev
        self.tree = CompactRange.empty()
        self.nodes_checked = 0

    def page(self, connection: Connection, end: int) -> None:
        """Check the entries from ``self.index`` up to ``end`` and the nodes they complete."""
        page = read_entries(connection, self.index, end)
        if not page:
            raise _fail("missing entry", f"entry {self.index} is absent", self.index)
        openings = read_openings(connection, [idx for idx, _ in page])
        gone = erased(connection, [idx for idx, _ in page if idx not in openings])
        stored_leaves = _stored_leaves(connection, self.index, end)
        emitted: dict[int, bytes] = {}
        for idx, data in page:
            self._entry(idx, data, openings.get(idx), stored_leaves.get(idx), idx in gone)
            for local, digest in self.tree.append(self.prev):
                level, position = node_position(local)
                node = node_id(level, position + (self.first >> level))
                if is_stored(node):
                    emitted[node] = digest
        _check_nodes(connection, emitted)
        self.nodes_checked += len(emitted)

    def _entry(
        self,
        idx: int,
        data: bytes,
        opening: tuple[bytes, bytes] | None,
        stored_leaf: bytes | None,
        gone: bool,
    ) -> None:
        if idx != self.index:
            raise _fail("missing entry", f"entry {self.index} is absent (next is {idx})", idx)
        try:
            envelope = decode_envelope(data)
        except LedgerError as exc:
            raise _fail("envelope", exc.detail, idx) from None
        if envelope.index != idx:
            raise _fail("index", f"entry stored at {idx} says it is {envelope.index}", idx)
        if envelope.prev != self.prev:
            raise _fail("hash chain", f"entry {idx} does not link to entry {idx - 1}", idx - 1)
        check_opening(idx, envelope.commitment, opening, erased=gone)
        leaf = hash_leaf(data)
        if stored_leaf != leaf:
            raise _fail("leaf hash", "stored leaf hash differs from the entry bytes' hash", idx)
        self.prev = leaf
        self.index += 1


def _stored_leaves(connection: Connection, start: int, end: int) -> dict[int, bytes]:
    rows = connection.execute(
        select(entry_t.c.idx, entry_t.c.leaf_hash).where(
            entry_t.c.idx >= start, entry_t.c.idx < end
        )
    ).all()
    return {idx: leaf for idx, leaf in rows}


def _check_nodes(connection: Connection, emitted: dict[int, bytes]) -> None:
    try:
        found = StoredNodes(connection).read_nodes(list(emitted))
    except LedgerError as exc:
        raise _fail("tree node", exc.detail) from None
    for node, digest in sorted(emitted.items()):
        if found[node] != digest:
            level, position = node_position(node)
            raise _fail(
                "tree node",
                f"stored node {node} (level {level}) differs from the one recomputed",
                ((position + 1) << level) - 1,
            )
