"""The full audit: recompute the chain and the tree and check every stored checkpoint.

It reports the first thing wrong, at the lowest index, and what it is. It trusts nothing
derived (leaf hashes, nodes, the head) that it can recompute from the entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import Connection, func, select

from creditbank.errors import AuditFailed, AuditFinding, CreditbankError, LedgerError
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import GENESIS_PREV, commitment, decode_envelope
from creditbank.ledger.erasure import erased
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.nodes import is_stored, node_position
from creditbank.ledger.note import NoteVerifier
from creditbank.ledger.proof_checks import verify_consistency
from creditbank.ledger.proofs import consistency_proof
from creditbank.ledger.sealed_openings import SealedOpeningAltered
from creditbank.ledger.store import (
    Head,
    StoredCheckpoint,
    StoredNodes,
    all_checkpoints,
    entry_t,
    node_t,
    read_entries,
    read_head,
    read_openings,
    sealed_unreadable,
)

PAGE = 5000


@dataclass(frozen=True)
class AuditReport:
    """What a clean audit covered."""

    size: int
    root_hash: bytes
    entries_checked: int
    nodes_checked: int
    checkpoints_checked: int
    # Where the walk ended, so an incremental audit can continue from here.
    frontier: tuple[bytes, ...] = ()
    last_leaf_hash: bytes = GENESIS_PREV


def _fail(check: str, detail: str, index: int | None = None) -> AuditFailed:
    return AuditFailed(AuditFinding(check=check, detail=detail, index=index))


def _check_signatures(
    checkpoints: Sequence[StoredCheckpoint], verifiers: Sequence[NoteVerifier], origin: str
) -> None:
    for stored in checkpoints:
        where = f"checkpoint #{stored.id} (size {stored.size})"
        try:
            body, _ = open_checkpoint(stored.note, verifiers, origin)
        except CreditbankError as exc:
            raise _fail("checkpoint signature", f"{where}: {exc.detail}") from None
        if body.size != stored.size or body.root_hash != stored.root_hash:
            raise _fail("checkpoint record", f"{where}: signed text differs from stored columns")


class Walk:
    """The state of one pass over the entries in index order: the tree and chain so far.

    A pass starts at the empty tree, or (``tree`` and ``prev`` given) where an earlier pass
    that the caller trusts ended: that is how the scheduled audit checks only new entries.
    """

    def __init__(
        self,
        checkpoints: Sequence[StoredCheckpoint],
        tree: CompactRange | None = None,
        prev: bytes = GENESIS_PREV,
    ) -> None:
        self.tree = tree or CompactRange.empty()
        self.prev = prev
        self.size = self.tree.size
        self.nodes_checked = 0
        self.last_good = self.size  # the largest size a checkpoint was found to agree with
        self.by_size: dict[int, list[StoredCheckpoint]] = defaultdict(list)
        for stored in checkpoints:
            self.by_size[stored.size].append(stored)

    def check_checkpoints(self) -> None:
        """Every checkpoint signed at the current size has the recomputed root."""
        root = self.tree.root()
        for stored in self.by_size.get(self.size, ()):
            if stored.root_hash != root:
                raise _fail(
                    "checkpoint root",
                    f"checkpoint #{stored.id} signed size {self.size} with root "
                    f"{stored.root_hash.hex()}, the stored entries give {root.hex()}: "
                    f"an entry in [{self.last_good}, {self.size}) differs from what was signed",
                    self.last_good,
                )
            self.last_good = self.size

    def entry(
        self,
        idx: int,
        data: bytes,
        opening: tuple[bytes, bytes] | None,
        stored_leaf: bytes | None,
        *,
        erased: bool = False,
    ) -> dict[int, bytes]:
        """Check one entry and add it to the tree; return the interior nodes it completes."""
        # 2. No gaps: the stored indices are exactly 0, 1, 2, …
        if idx != self.size:
            raise _fail("missing entry", f"entry {self.size} is absent (next is {idx})", self.size)
        # 3. The envelope is well-formed and sits at its own index.
        try:
            envelope = decode_envelope(data)
        except LedgerError as exc:
            raise _fail("envelope", exc.detail, idx) from None
        if envelope.index != idx:
            raise _fail("index", f"entry stored at {idx} says it is {envelope.index}", idx)
        # 4. The hash chain links it to its predecessor.
        if envelope.prev != self.prev:
            # The link breaks between idx-1 and idx: the earlier entry was altered, or
            # (less likely, as its own successor would break too) this one's link was.
            raise _fail(
                "hash chain",
                f"entry {idx} links to {envelope.prev.hex()} but entry {idx - 1} hashes to "
                f"{self.prev.hex()}",
                idx - 1,
            )
        # 5. The payload kept aside still opens the commitment, or its erasure was recorded.
        check_opening(idx, envelope.commitment, opening, erased=erased)
        # 6. The stored leaf hash (used for proofs) is the hash of these bytes.
        leaf = hash_leaf(data)
        if stored_leaf != leaf:
            raise _fail("leaf hash", "stored leaf hash differs from the entry bytes' hash", idx)
        completed = self.tree.append(leaf)
        self.prev = leaf
        self.size += 1
        self.check_checkpoints()
        return dict(completed)


def read_audited_openings(
    connection: Connection, indices: Sequence[int]
) -> dict[int, tuple[bytes, bytes]]:
    """The openings of ``indices``; a sealed one that does not open is an audit finding."""
    try:
        return read_openings(connection, indices)
    except SealedOpeningAltered as exc:
        raise _fail("commitment", exc.detail, exc.index) from None


def check_opening(
    idx: int, committed: bytes, opening: tuple[bytes, bytes] | None, *, erased: bool
) -> None:
    """The stored payload opens the entry's commitment; only a recorded erasure excuses none."""
    if opening is None:
        if not erased:
            raise _fail(
                "missing opening", f"entry {idx}'s payload is gone and no erasure is recorded", idx
            )
        return
    if commitment(*opening) != committed:
        raise _fail("commitment", "stored payload does not open the commitment", idx)


def audit_ledger(
    connection: Connection,
    verifiers: Sequence[NoteVerifier],
    origin: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Check the whole stored log; raise :class:`AuditFailed` naming the first problem."""
    head = read_head(connection)
    checkpoints = list(all_checkpoints(connection))
    # 1. Every checkpoint is signed by a known log key and says what its row says.
    _check_signatures(checkpoints, verifiers, origin)
    walk = Walk(checkpoints)
    walk.check_checkpoints()
    walk_entries(connection, walk, None, progress=progress, total=head.size)
    _check_nothing_beyond(connection, walk, checkpoints, head)
    _check_successive(connection, checkpoints)
    return AuditReport(
        walk.size,
        walk.tree.root(),
        walk.size,
        walk.nodes_checked,
        len(checkpoints),
        walk.tree.hashes,
        walk.prev,
    )


def check_signatures(
    checkpoints: Sequence[StoredCheckpoint], verifiers: Sequence[NoteVerifier], origin: str
) -> None:
    """Every checkpoint is signed by a known log key and says what its row says."""
    _check_signatures(checkpoints, verifiers, origin)


def walk_entries(
    connection: Connection,
    walk: Walk,
    end: int | None,
    *,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> None:
    """Check the entries from ``walk.size`` up to ``end`` (all stored ones when None)."""
    while True:
        stop = walk.size + PAGE if end is None else min(walk.size + PAGE, end)
        if stop <= walk.size:
            return
        page = read_entries(connection, walk.size, stop)
        if not page:
            if end is not None and walk.size < end:
                raise _fail(
                    "missing entry", f"entry {walk.size} is absent (head says {end})", walk.size
                )
            return
        openings = read_audited_openings(connection, [idx for idx, _ in page])
        absent = [idx for idx, _ in page if idx not in openings]
        gone = erased(connection, absent) | sealed_unreadable(connection, absent)
        stored_leaves = _stored_leaf_hashes(connection, page[0][0], page[-1][0])
        emitted: dict[int, bytes] = {}  # the complete nodes this page adds that are stored
        for idx, data in page:
            completed = walk.entry(
                idx, data, openings.get(idx), stored_leaves.get(idx), erased=idx in gone
            )
            emitted.update((node, digest) for node, digest in completed.items() if is_stored(node))
        # 7. Stored interior nodes equal the recomputed ones.
        _check_stored_nodes(connection, emitted)
        walk.nodes_checked += len(emitted)
        if progress is not None:
            progress(walk.size, total)


def _check_nothing_beyond(
    connection: Connection, walk: Walk, checkpoints: Sequence[StoredCheckpoint], head: Head
) -> None:
    # 8. No checkpoint, node or head claims more than the entries give.
    beyond = [stored for stored in checkpoints if stored.size > walk.size]
    if beyond:
        raise _fail(
            "missing entry",
            f"checkpoint #{beyond[0].id} covers {beyond[0].size} entries, only {walk.size} stored",
            walk.size,
        )
    stored_nodes = connection.execute(select(func.count()).select_from(node_t)).scalar_one()
    if stored_nodes != walk.nodes_checked:
        raise _fail(
            "tree node", f"{stored_nodes} interior nodes stored, {walk.nodes_checked} expected"
        )
    root = walk.tree.root()
    if head.size != walk.size or head.root_hash != root or head.last_leaf_hash != walk.prev:
        raise _fail(
            "head",
            f"head says size {head.size} root {head.root_hash.hex()}, entries give size "
            f"{walk.size} root {root.hex()}",
            min(head.size, walk.size),
        )


def _check_successive(connection: Connection, checkpoints: Sequence[StoredCheckpoint]) -> None:
    # 9. Successive checkpoints are consistent, proven from the stored nodes.
    reader = StoredNodes(connection)
    for older, newer in pairwise(checkpoints):
        if newer.size < older.size:
            raise _fail(
                "checkpoint order",
                f"checkpoint #{newer.id} (size {newer.size}) follows a larger one "
                f"#{older.id} (size {older.size})",
            )
        if older.size == 0:
            continue
        try:
            proof = consistency_proof(reader, older.size, newer.size)
            verify_consistency(older.size, newer.size, older.root_hash, newer.root_hash, proof)
        except CreditbankError as exc:
            raise _fail(
                "checkpoint consistency",
                f"checkpoints #{older.id} and #{newer.id}: {exc.detail}",
            ) from None


def _stored_leaf_hashes(connection: Connection, first: int, last: int) -> dict[int, bytes]:
    rows = connection.execute(
        select(entry_t.c.idx, entry_t.c.leaf_hash).where(
            entry_t.c.idx >= first, entry_t.c.idx <= last
        )
    ).all()
    return {idx: leaf for idx, leaf in rows}


def _check_stored_nodes(connection: Connection, emitted: dict[int, bytes]) -> None:
    stored = StoredNodes(connection)
    try:
        found = stored.read_nodes(list(emitted))
    except LedgerError as exc:
        raise _fail("tree node", exc.detail) from None
    for node, digest in sorted(emitted.items()):
        if found[node] != digest:
            level, index = node_position(node)
            first, last = index << level, ((index + 1) << level) - 1
            raise _fail(
                "tree node",
                f"stored node {node} (level {level}, leaves {first}..{last}) differs from the "
                "one recomputed from the entries",
                last,
            )
