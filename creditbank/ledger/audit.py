"""The full audit: recompute the chain and the tree from the stored entries and check every
stored checkpoint against them. It reports the first thing wrong, at the lowest index, and
what it is. It trusts nothing derived (leaf hashes, nodes, the head) that it can recompute."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from creditbank.errors import AuditFailed, AuditFinding, CreditbankError, LedgerError
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import GENESIS_PREV, commitment, decode_envelope
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.nodes import node_position
from creditbank.ledger.note import NoteVerifier
from creditbank.ledger.proofs import consistency_proof
from creditbank.ledger.store import (
    StoredCheckpoint,
    StoredNodes,
    all_checkpoints,
    entry_t,
    node_t,
    read_entries,
    read_head,
    read_openings,
)
from creditbank.ledger.verify import verify_consistency

PAGE = 5000


@dataclass(frozen=True)
class AuditReport:
    """What a clean audit covered."""

    size: int
    root_hash: bytes
    entries_checked: int
    nodes_checked: int
    checkpoints_checked: int


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
    by_size: dict[int, list[StoredCheckpoint]] = defaultdict(list)
    for stored in checkpoints:
        by_size[stored.size].append(stored)

    tree = CompactRange.empty()
    prev = GENESIS_PREV
    nodes_checked = 0
    expected = 0

    last_good = 0  # the largest size a checkpoint was found to agree with

    def check_checkpoints_at(size: int) -> None:
        nonlocal last_good
        for stored in by_size.get(size, ()):
            if stored.root_hash != tree.root():
                raise _fail(
                    "checkpoint root",
                    f"checkpoint #{stored.id} signed size {size} with root "
                    f"{stored.root_hash.hex()}, the stored entries give {tree.root().hex()}: "
                    f"an entry in [{last_good}, {size}) differs from what was signed",
                    last_good,
                )
            last_good = size

    check_checkpoints_at(0)
    while True:
        page = read_entries(connection, expected, expected + PAGE)
        if not page:
            break
        openings = read_openings(connection, [idx for idx, _ in page])
        emitted: dict[int, bytes] = {}
        for idx, data in page:
            # 2. No gaps: the stored indices are exactly 0, 1, 2, …
            if idx != expected:
                raise _fail(
                    "missing entry", f"entry {expected} is absent (next is {idx})", expected
                )
            # 3. The envelope is well-formed and sits at its own index.
            try:
                envelope = decode_envelope(data)
            except LedgerError as exc:
                raise _fail("envelope", exc.detail, idx) from None
            if envelope.index != idx:
                raise _fail("index", f"entry stored at {idx} says it is {envelope.index}", idx)
            # 4. The hash chain links it to its predecessor.
            if envelope.prev != prev:
                # The link breaks between idx-1 and idx: the earlier entry was altered, or
                # (less likely, as its own successor would break too) this one's link was.
                raise _fail(
                    "hash chain",
                    f"entry {idx} links to {envelope.prev.hex()} but entry {idx - 1} hashes to "
                    f"{prev.hex()}",
                    idx - 1,
                )
            # 5. The payload kept aside (if not erased) still opens the commitment.
            opening = openings.get(idx)
            if opening is not None and commitment(*opening) != envelope.commitment:
                raise _fail("commitment", "stored payload does not open the commitment", idx)
            leaf = hash_leaf(data)
            emitted.update(tree.append(leaf))
            prev = leaf
            expected += 1
            check_checkpoints_at(expected)
        # 6. Stored leaf hashes and interior nodes equal the recomputed ones.
        _check_stored_hashes(connection, page, emitted)
        nodes_checked += len(emitted)
        if progress is not None:
            progress(expected, head.size)

    # 7. Nothing beyond the entries: no checkpoint or head claims a larger tree.
    beyond = [stored for stored in checkpoints if stored.size > expected]
    if beyond:
        raise _fail(
            "missing entry",
            f"checkpoint #{beyond[0].id} covers {beyond[0].size} entries, only {expected} stored",
            expected,
        )
    stored_nodes = connection.execute(select(func.count()).select_from(node_t)).scalar_one()
    if stored_nodes != nodes_checked:
        raise _fail("tree node", f"{stored_nodes} interior nodes stored, {nodes_checked} expected")
    if head.size != expected or head.root_hash != tree.root() or head.last_leaf_hash != prev:
        raise _fail(
            "head",
            f"head says size {head.size} root {head.root_hash.hex()}, entries give size "
            f"{expected} root {tree.root().hex()}",
            min(head.size, expected),
        )
    # 8. Successive checkpoints are consistent, proven from the stored nodes.
    reader = StoredNodes(connection)
    for older, newer in zip(checkpoints, checkpoints[1:], strict=False):
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
    return AuditReport(expected, tree.root(), expected, nodes_checked, len(checkpoints))


def _check_stored_hashes(
    connection: Connection, page: Sequence[tuple[int, bytes]], emitted: dict[int, bytes]
) -> None:
    first, last = page[0][0], page[-1][0]
    stored_leaves = dict(
        connection.execute(
            select(entry_t.c.idx, entry_t.c.leaf_hash).where(
                entry_t.c.idx >= first, entry_t.c.idx <= last
            )
        ).all()
    )
    for idx, data in page:
        if stored_leaves.get(idx) != hash_leaf(data):
            raise _fail("leaf hash", "stored leaf hash differs from the entry bytes' hash", idx)
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
