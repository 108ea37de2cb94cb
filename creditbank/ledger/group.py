"""Group commit: the requests that queue while the sequencer is busy are sequenced together.

A commit has a fixed cost (locking the head, writing the log's rows, moving the head, the
durable commit itself) that one request of fifty records pays as much as one of a thousand.
Each process keeps one :class:`GroupCommitter` per ledger. A request hands it a
:class:`Submission` and waits. If no group is running, the request leads one at once (a group
of one when the service is quiet); requests that arrive meanwhile queue, and when the leader
is done the first of them leads the next group, taking the whole queue. So groups grow with
the load, by themselves, and nobody waits for a timer.

A group is one database transaction:

1. each request's :attr:`Submission.stage` writes its rows that need no log index, inside its
   own savepoint: a request whose rows fail (a repeated Idempotency-Key, an ``external_id``
   taken meanwhile) is rolled back alone and gets its own error; the others go on;
2. the head row is locked and every remaining request's entries get consecutive indices, in
   queue order, in one :func:`~creditbank.ledger.sequencer.sequence_batches`;
3. each request's :attr:`Submission.finish` turns its indices into rows (plain values, no I/O),
   written for the whole group with the log's own rows, one statement per table, in one round
   trip (``storage/batched_writes.py``);
4. one commit. Only then does any request learn its indices.

A failure in steps 2-4 (the database gone, a constraint broken by index-bearing rows) rolls
the whole group back, and every request in it gets that error: nothing of any of them is
written, and their clients retry with their Idempotency-Keys as after any failed request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from creditbank.ledger.frontier import FRONTIERS
from creditbank.ledger.metrics import LOCK_HOLD, LOCK_WAIT, observe_group
from creditbank.ledger.sealed_openings import installed_source
from creditbank.ledger.sequencer import AppendResult, LockClock, SealedBatch, sequence_batches
from creditbank.ledger.store import Head, read_head, try_lock_head
from creditbank.storage.batched_writes import Insert, Update
from creditbank.storage.database import is_sqlite, write_transaction

# How long a leader waiting for another process's sequencer sleeps between tries, unless a
# request arrives to join its group first.
LOCK_POLL_SECONDS = 0.002
# Requests join a group until it holds this many entries (a single larger request still goes
# alone): bounds a group's transaction and the memory of its rows.
MAX_GROUP_ENTRIES = 20_000


IndexedWrite = Insert | Update


@dataclass(frozen=True)
class Submission:
    """One request's share of a group.

    ``stage`` writes, before the lock, the rows that need no index (it may raise: then only
    this request fails), and may return the learners' data keys it read, which the group
    then need not read again. ``finish`` maps the request's sequenced entries to the rows that
    carry indices; it must not fail, since by then every request of the group has its indices.
    """

    batch: SealedBatch
    stage: Callable[[Connection], Mapping[str, bytes] | None]
    finish: Callable[[AppendResult], Sequence[IndexedWrite]]


class _Waiter:
    __slots__ = ("error", "event", "promoted", "result", "submission")

    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        self.event = threading.Event()
        self.promoted = False
        self.result: AppendResult | None = None
        self.error: BaseException | None = None

    def outcome(self) -> AppendResult:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class GroupCommitter:
    """One process's combiner for one database: see the module docstring."""

    def __init__(self, engine: Engine, *, max_entries: int = MAX_GROUP_ENTRIES) -> None:
        self.engine = engine
        self.max_entries = max_entries
        self._mutex = threading.Lock()
        self._arrived = threading.Condition(self._mutex)
        self._queue: list[_Waiter] = []
        self._leading = False

    def queued(self) -> int:
        """Return how many requests wait for the next group."""
        with self._mutex:
            return len(self._queue)

    def submit(self, submission: Submission) -> AppendResult:
        """Stage, sequence and commit ``submission`` (with whoever queued alongside).

        Returns the request's own indices once they are committed; raises the request's own
        error, or the group's.
        """
        waiter = _Waiter(submission)
        with self._mutex:
            self._queue.append(waiter)
            lead = not self._leading
            self._leading = True
            self._arrived.notify()
        if not lead:
            waiter.event.wait()
            if not waiter.promoted:
                return waiter.outcome()
        self._lead()
        return waiter.outcome()

    def _lead(self) -> None:
        group: list[_Waiter] = []
        try:
            with self._mutex:
                group = self._take()
            self._commit(group)
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0].promoted = True
                    self._queue[0].event.set()
                else:
                    self._leading = False
            for waiter in group:
                waiter.event.set()

    def _take(self, room: int | None = None) -> list[_Waiter]:
        """Take waiters from the front of the queue while they fit in ``room`` entries.

        Without ``room`` (a new group) the first waiter is taken whatever its size.
        """
        count = 0
        entries = 0
        limit = self.max_entries if room is None else room
        for waiter in self._queue:
            size = len(waiter.submission.batch)
            if (count or room is not None) and entries + size > limit:
                break
            count += 1
            entries += size
        group, self._queue[:] = self._queue[:count], self._queue[count:]
        return group

    def _stage(
        self,
        connection: Connection,
        waiters: list[_Waiter],
        into: list[_Waiter],
        keys: dict[str, bytes],
    ) -> None:
        """Write each waiter's unindexed rows in its own savepoint; keep those that succeed.

        Also gathers the data keys of the learners their entries are about (those a stage
        returns, then the rest read or made here), so that sealing their openings under the
        lock needs no query.
        """
        for waiter in waiters:
            try:
                with connection.begin_nested():
                    read = waiter.submission.stage(connection)
            except Exception as exc:  # this request's rows only: it alone fails
                waiter.error = exc
            else:
                into.append(waiter)
                keys.update(read or {})
        source = installed_source(connection)
        learners = {
            learner
            for waiter in waiters
            if waiter.error is None
            for learner in waiter.submission.batch.learners
            if learner is not None and learner not in keys
        }
        if source is not None and learners:
            keys.update(source.keys_for(connection, learners, create=True))

    def _stage_until_locked(
        self, connection: Connection, group: list[_Waiter], clock: LockClock, keys: dict[str, bytes]
    ) -> tuple[list[_Waiter], Head | None]:
        """Stage the group; on PostgreSQL, take the head lock, staging late arrivals meanwhile.

        Waiting on the lock with ``SKIP LOCKED`` polls instead of blocking, so requests that
        queue while another process holds the sequencer join this group rather than the next.
        Returns the staged requests and, on PostgreSQL, the head as locked.
        """
        staged: list[_Waiter] = []
        self._stage(connection, group, staged, keys)
        if is_sqlite(connection):
            return staged, None  # BEGIN IMMEDIATE already holds the database's write lock
        clock.asked = time.monotonic()
        head = try_lock_head(connection)
        if head is None:
            read_head(connection)  # the row is there, only taken: raises if it is not
        while head is None:
            with self._arrived:
                room = self.max_entries - sum(len(w.submission.batch) for w in group)
                late = self._take(room)
                if not late:
                    self._arrived.wait(LOCK_POLL_SECONDS)
                    late = self._take(room)
            group += late
            self._stage(connection, late, staged, keys)
            head = try_lock_head(connection)
        clock.taken = time.monotonic()
        return staged, head

    def _commit(self, group: list[_Waiter]) -> None:
        clock = LockClock()
        sequenced: list[_Waiter] = []
        asked = time.monotonic()
        try:
            with write_transaction(self.engine) as connection:
                if is_sqlite(connection):  # BEGIN IMMEDIATE took the write lock
                    clock.asked, clock.taken = asked, time.monotonic()
                else:
                    # Fold in other processes' appends while nobody waits on us.
                    FRONTIERS.warm(connection)
                keys: dict[str, bytes] = {}
                sequenced, head = self._stage_until_locked(connection, group, clock, keys)
                if sequenced:

                    def finish(results: list[AppendResult]) -> list[IndexedWrite]:
                        writes: list[IndexedWrite] = []
                        for waiter, result in zip(sequenced, results, strict=True):
                            writes += waiter.submission.finish(result)
                        return writes

                    results = sequence_batches(
                        connection,
                        [w.submission.batch for w in sequenced],
                        clock=clock,
                        then=finish,
                        locked=head,
                        keys=keys,
                    )
                    for waiter, result in zip(sequenced, results, strict=True):
                        waiter.result = result
        except BaseException as exc:  # the group is rolled back: every request learns why
            for waiter in group:
                waiter.result, waiter.error = None, exc
            if not isinstance(exc, Exception):
                raise
        finally:
            if clock.asked is not None and clock.taken is not None:
                LOCK_WAIT.labels("group").observe(clock.taken - clock.asked)
                LOCK_HOLD.labels("group").observe(time.monotonic() - clock.taken)
        if sequenced:
            observe_group(
                "group",
                requests=len(sequenced),
                entries=sum(len(w.submission.batch) for w in sequenced),
            )
