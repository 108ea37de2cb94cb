"""The scheduled integrity audit: new entries and a sample of old ones, a full pass nightly.

Any mismatch raises an alarm in the logs and turns ``/healthz`` unhealthy.

It builds on :mod:`creditbank.ledger.full_audit`: an incremental run resumes the same walk from the
tree the audit itself recomputed last time (kept in ``audit_state``, never the stored nodes),
checks the entries appended since, the checkpoints signed since, and ``sample`` old entries
(envelope, stored leaf hash, commitment, chain link to the next entry, and an inclusion proof
from the stored nodes against the audited root). An old entry altered in place is found by the
first sample that draws it and always by the nightly full pass.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from creditbank.clock import utc_now
from creditbank.errors import AuditFailed, AuditFinding, CreditbankError, LedgerError
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.envelope import GENESIS_PREV, decode_envelope
from creditbank.ledger.erasure import erased
from creditbank.ledger.full_audit import (
    Walk,
    audit_ledger,
    check_opening,
    check_signatures,
    read_audited_openings,
    walk_entries,
)
from creditbank.ledger.hashing import EMPTY_ROOT, HASH_SIZE, hash_leaf
from creditbank.ledger.partition_audit import audit_partition
from creditbank.ledger.partitions import DEFAULT_LEAVES, leaves_per_partition
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.ledger.proofs import consistency_proof, inclusion_proof
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import (
    StoredCheckpoint,
    StoredNodes,
    all_checkpoints,
    entry_t,
    latest_checkpoint,
    read_head,
    sealed_unreadable,
)
from creditbank.operations.tables import AuditState
from creditbank.records import integrity as record_integrity
from creditbank.storage.database import read_connection, write_transaction

state_t = AuditState.__table__  # type: ignore[attr-defined]
STATE_ID = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditStatus:
    """What the scheduled audit knows: how far it checked and whether all was well."""

    audited_size: int
    root_hash: bytes
    last_leaf_hash: bytes
    frontier: tuple[bytes, ...]
    last_checkpoint_id: int
    status: str  # ok | failed
    finding_index: int | None
    finding: str | None
    checked_at: datetime | None
    full_pass_at: datetime | None

    @property
    def failed(self) -> bool:
        """True once a mismatch was found (until a clean full pass)."""
        return self.status == "failed"


NEVER = AuditStatus(0, EMPTY_ROOT, GENESIS_PREV, (), 0, "ok", None, None, None, None)


def read_status(connection: Connection) -> AuditStatus:
    """The stored audit state (the empty tree before the first run)."""
    row = connection.execute(select(state_t).where(state_t.c.id == STATE_ID)).first()
    if row is None:
        return NEVER
    frontier = bytes(row.frontier)
    return AuditStatus(
        row.audited_size,
        bytes(row.root_hash),
        bytes(row.last_leaf_hash),
        tuple(frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)),
        row.last_checkpoint_id,
        row.status,
        row.finding_index,
        row.finding,
        row.checked_at,
        row.full_pass_at,
    )


def _save(connection: Connection, values: dict[str, object]) -> None:
    exists = connection.execute(select(state_t.c.id).where(state_t.c.id == STATE_ID)).first()
    if exists is None:
        connection.execute(insert(state_t).values(id=STATE_ID, **values))
    else:
        connection.execute(update(state_t).where(state_t.c.id == STATE_ID).values(**values))


def _save_good(
    engine: Engine,
    walk: Walk,
    last_checkpoint_id: int,
    *,
    full: bool,
    now: datetime,
) -> None:
    values: dict[str, object] = {
        "audited_size": walk.size,
        "root_hash": walk.tree.root(),
        "last_leaf_hash": walk.prev,
        "frontier": b"".join(walk.tree.hashes),
        "last_checkpoint_id": last_checkpoint_id,
        "status": "ok",
        "finding_index": None,
        "finding": None,
        "checked_at": now,
    }
    if full:
        values["full_pass_at"] = now
    with write_transaction(engine) as connection:
        _save(connection, values)


def _alarm(engine: Engine, finding: AuditFinding, *, now: datetime) -> None:
    log.critical(
        "ALARM: ledger integrity audit failed: %s",
        finding,
        extra={"alarm": "ledger-audit", "index": finding.index, "check": finding.check},
    )
    with write_transaction(engine) as connection:
        current = read_status(connection)
        values: dict[str, object] = {
            "status": "failed",
            "finding_index": finding.index,
            "finding": str(finding),
            "checked_at": now,
        }
        if current is NEVER:
            values.update(
                audited_size=0,
                root_hash=EMPTY_ROOT,
                last_leaf_hash=GENESIS_PREV,
                frontier=b"",
                last_checkpoint_id=0,
            )
        _save(connection, values)


def incremental_audit(ledger: Ledger, *, sample: int) -> str:
    """Check what was appended since the last run and ``sample`` of the older entries."""
    now = utc_now()
    with read_connection(ledger.engine) as connection:
        status = read_status(connection)
    if status.failed:
        # Keep the alarm up (and in every run's log) until a clean full pass clears it.
        finding = AuditFinding("alarm", f"unresolved since {status.checked_at}: {status.finding}")
        log.critical(
            "ALARM: ledger integrity audit failed: %s",
            status.finding,
            extra={"alarm": "ledger-audit", "index": status.finding_index},
        )
        raise AuditFailed(finding)
    try:
        with read_connection(ledger.engine) as connection:
            head = read_head(connection)
            checkpoints = list(all_checkpoints(connection))
            fresh = [c for c in checkpoints if c.id > status.last_checkpoint_id]
            check_signatures(fresh, ledger.keyring.verifiers(), ledger.origin)
            tree = CompactRange(status.audited_size, status.frontier)
            walk = Walk(
                [c for c in fresh if c.size > status.audited_size], tree, status.last_leaf_hash
            )
            if head.size < status.audited_size:
                raise AuditFailed(
                    AuditFinding(
                        "missing entry",
                        f"the head says {head.size} entries, {status.audited_size} were audited",
                        head.size,
                    )
                )
            walk_entries(connection, walk, head.size)
            _check_head(head.size, head.root_hash, walk)
            check_latest_checkpoint_kept(checkpoints, status)
            _check_older_checkpoints(connection, fresh, status, walk)
            drawn = _sample(connection, status.audited_size, walk, sample)
            records = record_integrity.check_range(connection, status.audited_size, walk.size)
            records += record_integrity.check_indices(connection, drawn)
    except AuditFailed as exc:
        _alarm(ledger.engine, exc.finding, now=now)
        raise
    last_id = max((c.id for c in checkpoints), default=status.last_checkpoint_id)
    _save_good(ledger.engine, walk, last_id, full=False, now=now)
    return (
        f"{walk.size - status.audited_size} new entries, {len(fresh)} new checkpoints, "
        f"{len(drawn)} sampled entries and {records} record changes ok; audited size {walk.size}"
    )


def full_audit(ledger: Ledger) -> str:
    """The nightly pass: everything, with :func:`creditbank.ledger.full_audit.audit_ledger`."""
    now = utc_now()
    try:
        with read_connection(ledger.engine) as connection:
            report = audit_ledger(connection, ledger.keyring.verifiers(), ledger.origin)
            records = check_stored_copies(connection, report.size)
            last_id = max((c.id for c in all_checkpoints(connection)), default=0)
    except AuditFailed as exc:
        _alarm(ledger.engine, exc.finding, now=now)
        raise
    walk = Walk([], CompactRange(report.size, report.frontier), report.last_leaf_hash)
    _save_good(ledger.engine, walk, last_id, full=True, now=now)
    return (
        f"full pass ok: {report.entries_checked} entries, {report.nodes_checked} nodes, "
        f"{report.checkpoints_checked} checkpoints, {records} record changes"
    )


def partition_audit(ledger: Ledger, *, number: int | None = None) -> str | None:
    """One partition of the signed log, re-read whole against the latest checkpoint.

    Without ``number`` the hour picks it, in turn over every partition the latest checkpoint
    covers, so a partition is re-read every so many hours without a full pass (see
    :mod:`creditbank.ledger.partition_audit`).
    """
    now = utc_now()
    with read_connection(ledger.engine) as connection:
        checkpoint = latest_checkpoint(connection)
        if checkpoint is None or checkpoint.size == 0:
            return None
        leaves = leaves_per_partition(connection) or DEFAULT_LEAVES
        if number is None:
            number = int(now.timestamp() // 3600) % ((checkpoint.size - 1) // leaves + 1)
        try:
            report = audit_partition(connection, number, ledger.keyring.verifiers(), ledger.origin)
        except AuditFailed as exc:
            _alarm(ledger.engine, exc.finding, now=now)
            raise
    return (
        f"partition {report.number} ok: entries {report.first}..{report.end - 1}, "
        f"{report.nodes_checked} nodes, within the checkpoint of size {report.checkpoint_size}"
    )


def check_stored_copies(connection: Connection, size: int) -> int:
    """What the ledger's own audit cannot see: the record tables and the checkpoints it audited.

    Run after :func:`creditbank.ledger.full_audit.audit_ledger` passed for ``size`` entries;
    returns how many record changes were compared with their rows.
    """
    check_latest_checkpoint_kept(list(all_checkpoints(connection)), read_status(connection))
    return record_integrity.check_all(connection, size)


def check_latest_checkpoint_kept(checkpoints: list[StoredCheckpoint], status: AuditStatus) -> None:
    """The newest checkpoint the audit saw is still stored (checkpoints are never deleted)."""
    if status.last_checkpoint_id and all(c.id != status.last_checkpoint_id for c in checkpoints):
        raise AuditFailed(
            AuditFinding(
                "missing checkpoint",
                f"checkpoint #{status.last_checkpoint_id}, audited at {status.checked_at}, "
                "is no longer stored",
                None,
            )
        )


def _check_head(size: int, root: bytes, walk: Walk) -> None:
    if walk.size != size or walk.tree.root() != root:
        raise AuditFailed(
            AuditFinding(
                "head",
                f"head says size {size} root {root.hex()}, entries give size {walk.size} "
                f"root {walk.tree.root().hex()}",
                min(size, walk.size),
            )
        )


def _check_older_checkpoints(
    connection: Connection, fresh: list[StoredCheckpoint], status: AuditStatus, walk: Walk
) -> None:
    """Checkpoints signed since the last run for sizes already audited: consistent with it."""
    for stored in fresh:
        if stored.size > status.audited_size or stored.size == 0:
            continue
        try:
            proof = consistency_proof(StoredNodes(connection), stored.size, walk.size)
            verify_consistency(stored.size, walk.size, stored.root_hash, walk.tree.root(), proof)
        except CreditbankError as exc:
            raise AuditFailed(
                AuditFinding(
                    "checkpoint consistency", f"checkpoint #{stored.id}: {exc.detail}", None
                )
            ) from None


def _sample(connection: Connection, audited: int, walk: Walk, count: int) -> list[int]:
    """Check ``count`` random entries of ``[0, audited)``; return those drawn."""
    if audited == 0 or count <= 0:
        return []
    if count >= audited:
        drawn = list(range(audited))
    else:
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.add(secrets.randbelow(audited))
        drawn = sorted(chosen)
    wanted = sorted(set(drawn) | {i + 1 for i in drawn if i + 1 < walk.size})
    rows = {
        idx: (bytes(data), bytes(leaf))
        for idx, data, leaf in connection.execute(
            select(entry_t.c.idx, entry_t.c.data, entry_t.c.leaf_hash).where(
                entry_t.c.idx.in_(wanted)
            )
        )
    }
    openings = read_audited_openings(connection, drawn)
    absent = [idx for idx in drawn if idx not in openings]
    gone = erased(connection, absent) | sealed_unreadable(connection, absent)
    reader = StoredNodes(connection)
    root = walk.tree.root()
    # First what each entry says about itself and its successor, then the proofs: an altered
    # entry also breaks the proofs of its neighbours, and the finding should name it.
    for idx in drawn:
        _check_old_entry(idx, rows, openings.get(idx), erased=idx in gone)
    for idx in drawn:
        leaf = hash_leaf(rows[idx][0])
        try:
            verify_inclusion(idx, walk.size, leaf, inclusion_proof(reader, idx, walk.size), root)
        except CreditbankError as exc:
            raise AuditFailed(
                AuditFinding(
                    "inclusion",
                    f"entry {idx} or a stored subtree next to it differs from the audited tree "
                    f"of size {walk.size}: {exc.detail}",
                    idx,
                )
            ) from None
    return drawn


def _check_old_entry(
    idx: int,
    rows: dict[int, tuple[bytes, bytes]],
    opening: tuple[bytes, bytes] | None,
    *,
    erased: bool,
) -> None:
    def fail(check: str, detail: str) -> AuditFailed:
        return AuditFailed(AuditFinding(check, detail, idx))

    if idx not in rows:
        raise fail("missing entry", f"entry {idx} is absent")
    data, stored_leaf = rows[idx]
    try:
        envelope = decode_envelope(data)
    except LedgerError as exc:
        raise fail("envelope", exc.detail) from None
    if envelope.index != idx:
        raise fail("index", f"entry stored at {idx} says it is {envelope.index}")
    leaf = hash_leaf(data)
    if stored_leaf != leaf:
        raise fail("leaf hash", "stored leaf hash differs from the entry bytes' hash")
    check_opening(idx, envelope.commitment, opening, erased=erased)
    following = rows.get(idx + 1)
    if following is not None:
        try:
            link = decode_envelope(following[0]).prev
        except LedgerError:
            link = b""
        if link != leaf:
            raise fail("hash chain", f"entry {idx + 1} does not link to entry {idx}'s hash")
