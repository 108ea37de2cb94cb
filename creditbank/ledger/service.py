"""The ledger as the rest of the service sees it: append, checkpoints, entries and proofs."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert

from creditbank.errors import InvalidParameter
from creditbank.ledger.checkpoint import Checkpoint, sign_checkpoint
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.group import GroupCommitter, Submission
from creditbank.ledger.keys import Keyring
from creditbank.ledger.metrics import LOCK_HOLD, LOCK_WAIT
from creditbank.ledger.note import NoteSigner
from creditbank.ledger.proofs import consistency_proof, inclusion_proof
from creditbank.ledger.sequencer import AppendResult, LockClock, NewEntry, append_entries
from creditbank.ledger.store import (
    Head,
    StoredCheckpoint,
    StoredNodes,
    checkpoint_t,
    latest_checkpoint,
    read_entries,
    read_head,
)
from creditbank.storage.database import is_sqlite, read_connection, write_transaction


@dataclass
class LedgerTransaction:
    """A write transaction in which the caller stores its rows and appends their entries."""

    connection: Connection
    clock: LockClock = field(default_factory=LockClock)

    def append(self, entries: Sequence[NewEntry], *, now: datetime | None = None) -> AppendResult:
        """Sequence ``entries``; they commit with the caller's rows or not at all."""
        return append_entries(self.connection, entries, now=now, clock=self.clock)

    def hold(self) -> None:
        """Take the sequencer now, so what the caller reads next no other writer can change.

        (SQLite's ``BEGIN IMMEDIATE`` already holds it; PostgreSQL locks the head row.)
        """
        read_head(self.connection, for_update=True)

    def record(
        self, kind: str, actor: str, payload: Mapping[str, Any], *, now: datetime | None = None
    ) -> int:
        """Append one entry; return its index."""
        return self.append([NewEntry(kind, actor, payload)], now=now).entries[0].index


class Ledger:
    """The bank's log over one database and one signing keyring."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        origin: str,
        checkpoint_interval_seconds: float = 5.0,
        page_size: int = 1000,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.origin = origin
        self.checkpoint_interval_seconds = checkpoint_interval_seconds
        self.page_size = page_size
        self.committer = GroupCommitter(engine)

    # --- writing ----------------------------------------------------------------------------

    def rotate_key(self, *, actor: str) -> NoteSigner:
        """Add a new log key, record it in the log, and sign a checkpoint with it at once.

        ``actor`` names the operator who rotated it.
        """
        signer = self.keyring.rotate()
        self.append(
            [
                NewEntry(
                    kind=EntryKind.LOG_KEY_ROTATED,
                    actor=actor,
                    payload={"verifier_key": signer.verifier.verifier_key()},
                )
            ]
        )
        self.publish_checkpoint(force=True)
        return signer

    @contextmanager
    def transaction(self) -> Iterator[LedgerTransaction]:
        """Open a write transaction holding the sequencer for the whole unit of work."""
        tx: LedgerTransaction | None = None
        asked = time.monotonic()
        try:
            with write_transaction(self.engine) as connection:
                tx = LedgerTransaction(connection)
                if is_sqlite(connection):  # BEGIN IMMEDIATE took the write lock
                    tx.clock.asked, tx.clock.taken = asked, time.monotonic()
                yield tx
        finally:
            if tx is not None:
                _observe_lock(tx.clock, "transaction")

    def append(self, entries: Sequence[NewEntry], *, now: datetime | None = None) -> AppendResult:
        """Append one batch in its own transaction."""
        with self.transaction() as tx:
            return tx.append(entries, now=now)

    def submit(self, submission: Submission) -> AppendResult:
        """Sequence one request's batch in a group commit with concurrent ones (see group.py)."""
        return self.committer.submit(submission)

    def publish_checkpoint(self, *, force: bool = False) -> StoredCheckpoint:
        """Sign and store a checkpoint of the committed tree, unless the latest one covers it.

        Runs under the sequencer lock so checkpoints are published in tree order.
        """
        signers = self.keyring.signers()
        with write_transaction(self.engine) as connection:
            head = read_head(connection, for_update=True)
            latest = latest_checkpoint(connection)
            if latest is not None and latest.size == head.size and not force:
                return latest
            now = datetime.now(UTC)
            note = sign_checkpoint(Checkpoint(self.origin, head.size, head.root_hash), signers)
            result = connection.execute(
                insert(checkpoint_t)
                .values(size=head.size, root_hash=head.root_hash, note=note, created_at=now)
                .returning(checkpoint_t.c.id)
            )
            return StoredCheckpoint(result.scalar_one(), head.size, head.root_hash, note, now)

    # --- reading ----------------------------------------------------------------------------

    def head(self) -> Head:
        """Return the committed size and root."""
        with read_connection(self.engine) as connection:
            return read_head(connection)

    def current_checkpoint(self) -> StoredCheckpoint:
        """Return the latest checkpoint, publishing one first if it is missing or stale."""
        with read_connection(self.engine) as connection:
            head = read_head(connection)
            latest = latest_checkpoint(connection)
        if latest is None:
            return self.publish_checkpoint()
        age = (datetime.now(UTC) - _aware(latest.created_at)).total_seconds()
        if latest.size < head.size and age >= self.checkpoint_interval_seconds:
            return self.publish_checkpoint()
        return latest

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """Return at most a page of ``(index, entry bytes)`` for ``start <= index < end``."""
        with read_connection(self.engine) as connection:
            size = read_head(connection).size
            if start < 0:
                raise InvalidParameter("start", "must be a non-negative integer")
            if end <= start:
                raise InvalidParameter("end", "must be greater than start")
            if start >= size:
                raise InvalidParameter("start", f"must be less than the tree size {size}")
            end = min(end, size, start + self.page_size)
            return read_entries(connection, start, end)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``."""
        with read_connection(self.engine) as connection:
            committed = read_head(connection).size
            if size < 1 or size > committed:
                raise InvalidParameter("size", f"must be between 1 and the tree size {committed}")
            if index < 0 or index >= size:
                raise InvalidParameter("index", f"must satisfy 0 <= index < size ({size})")
            return inclusion_proof(StoredNodes(connection), index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Return the RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""
        with read_connection(self.engine) as connection:
            committed = read_head(connection).size
            if second < 1 or second > committed:
                raise InvalidParameter("second", f"must be between 1 and the tree size {committed}")
            if first < 1 or first > second:
                raise InvalidParameter("first", f"must satisfy 1 <= first <= second ({second})")
            return consistency_proof(StoredNodes(connection), first, second)


def _observe_lock(clock: LockClock, writer: str) -> None:
    """Record how long a transaction waited for and held the head lock, if it took it."""
    if clock.asked is None or clock.taken is None:
        return
    LOCK_WAIT.labels(writer).observe(clock.taken - clock.asked)
    LOCK_HOLD.labels(writer).observe(time.monotonic() - clock.taken)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
