"""The ledger as the rest of the service sees it: append, checkpoints, entries and proofs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import DBAPIError

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
from creditbank.storage.replicas import ReadPool

T = TypeVar("T")


class NotReplicated(Exception):
    """A replica has not yet replayed what a read asks for: the primary answers it."""


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
        reads: ReadPool | None = None,
    ) -> None:
        self.engine = engine
        # Where the public reads go: a replica in use that holds the size asked for, else here.
        self.reads = reads or ReadPool(engine, ())
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
        # The statement the old key signed for the new one goes on the record too.
        statement = self.keyring.rotation_statements()[-1]
        self.append(
            [
                NewEntry(
                    kind=EntryKind.LOG_KEY_ROTATED,
                    actor=actor,
                    payload={
                        "verifier_key": signer.verifier.verifier_key(),
                        "statement": statement,
                    },
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
    #
    # Entries, nodes and checkpoints never change once committed, and a streaming replica holds
    # a prefix of the primary's log, so each read below gives the same bytes on a replica as
    # on the primary for the same size. A replica that has not reached the size asked for, or
    # fails, hands the read to the primary, whose answer (or refusal) is the authoritative one.

    def read(self, read: Callable[[Connection, bool], T]) -> T:
        """Run ``read(connection, on_replica)`` on a replica in use, else on the primary.

        ``read`` raises :class:`NotReplicated` when the replica lacks what it needs.
        """
        engine = self.reads.choose()
        if engine is not self.engine:
            try:
                with read_connection(engine) as connection:
                    return read(connection, True)
            except NotReplicated:
                self.reads.handed_back()
            except DBAPIError as exc:
                self.reads.handed_back()
                self.reads.failed(engine, f"failed a read: {exc.__class__.__name__}")
        with read_connection(self.engine) as connection:
            return read(connection, False)

    def head(self) -> Head:
        """Return the committed size and root."""
        with read_connection(self.engine) as connection:
            return read_head(connection)

    def current_checkpoint(self) -> StoredCheckpoint:
        """Return the latest checkpoint, publishing one first if it is missing or stale."""

        def read(connection: Connection, on_replica: bool) -> StoredCheckpoint | None:
            head = read_head(connection)
            latest = latest_checkpoint(connection)
            if latest is not None and not self._stale(latest, head.size):
                return latest
            if on_replica:
                raise NotReplicated  # publishing is a write: the primary does it
            return None

        return self.read(read) or self.publish_checkpoint()

    def _stale(self, latest: StoredCheckpoint, size: int) -> bool:
        age = (datetime.now(UTC) - _aware(latest.created_at)).total_seconds()
        return latest.size < size and age >= self.checkpoint_interval_seconds

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """Return at most a page of ``(index, entry bytes)`` for ``start <= index < end``."""
        if start < 0:
            raise InvalidParameter("start", "must be a non-negative integer")
        if end <= start:
            raise InvalidParameter("end", "must be greater than start")

        def read(connection: Connection, on_replica: bool) -> list[tuple[int, bytes]]:
            size = read_head(connection).size
            wanted = min(end, start + self.page_size)
            if on_replica and wanted > size:
                raise NotReplicated  # the page may be longer on the primary
            if start >= size:
                raise InvalidParameter("start", f"must be less than the tree size {size}")
            return read_entries(connection, start, min(wanted, size))

        return self.read(read)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``."""

        def read(connection: Connection, on_replica: bool) -> list[bytes]:
            committed = read_head(connection).size
            if on_replica and size > committed:
                raise NotReplicated
            if size < 1 or size > committed:
                raise InvalidParameter("size", f"must be between 1 and the tree size {committed}")
            if index < 0 or index >= size:
                raise InvalidParameter("index", f"must satisfy 0 <= index < size ({size})")
            return inclusion_proof(StoredNodes(connection), index, size)

        return self.read(read)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Return the RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""

        def read(connection: Connection, on_replica: bool) -> list[bytes]:
            committed = read_head(connection).size
            if on_replica and second > committed:
                raise NotReplicated
            if second < 1 or second > committed:
                raise InvalidParameter("second", f"must be between 1 and the tree size {committed}")
            if first < 1 or first > second:
                raise InvalidParameter("first", f"must satisfy 1 <= first <= second ({second})")
            return consistency_proof(StoredNodes(connection), first, second)

        return self.read(read)


def _observe_lock(clock: LockClock, writer: str) -> None:
    """Record how long a transaction waited for and held the head lock, if it took it."""
    if clock.asked is None or clock.taken is None:
        return
    LOCK_WAIT.labels(writer).observe(clock.taken - clock.asked)
    LOCK_HOLD.labels(writer).observe(time.monotonic() - clock.taken)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
