"""Group commit: concurrent requests sequenced in one transaction, each all or nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from sqlalchemy import BigInteger, Column, Connection, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from creditbank.ledger.envelope import GENESIS_PREV, decode_envelope
from creditbank.ledger.group import GroupCommitter, IndexedWrite, Submission
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.metrics import GROUP_REQUESTS
from creditbank.ledger.proofs import MemoryTree, root_hash
from creditbank.ledger.sequencer import AppendResult, seal_entries
from creditbank.ledger.store import read_entries, read_head, read_openings
from creditbank.storage.batched_writes import Insert, Update
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.ledger.helpers import entries

_metadata = MetaData()
probe_t = Table(
    "group_probe",
    _metadata,
    Column("tag", String(40), primary_key=True),
    Column("first_index", BigInteger, nullable=True),
)
indexed_t = Table(
    "group_probe_index",
    _metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("tag", String(40), nullable=False),
)


@pytest.fixture
def probe(services: Services) -> Iterator[None]:
    _metadata.create_all(services.engine)
    yield
    _metadata.drop_all(services.engine)


def _submission(
    tag: str,
    count: int,
    *,
    before: Callable[[], None] = lambda: None,
    extra_stage: Callable[[Connection], None] = lambda _c: None,
    bad_finish: bool = False,
) -> Submission:
    def stage(connection: Connection) -> None:
        before()
        connection.execute(insert(probe_t).values(tag=tag, first_index=None))
        extra_stage(connection)

    def finish(result: AppendResult) -> Sequence[IndexedWrite]:
        rows = [{"idx": index, "tag": tag} for index in result.indices]
        if bad_finish:
            rows.append({"idx": result.first_index, "tag": tag})  # a duplicate key
        return [
            Insert(indexed_t, rows),
            Update(probe_t, "tag", [{"tag": tag, "first_index": result.first_index}]),
        ]

    actor = f"institution:{tag.upper()}"
    return Submission(seal_entries(entries(count, actor=actor)), stage, finish)


def _run_group(
    committer: GroupCommitter, submissions: list[Submission], hold: threading.Event
) -> list[AppendResult | BaseException]:
    """Submit the first, then the rest while it is held in its stage; return every outcome."""
    outcomes: list[AppendResult | BaseException] = [RuntimeError("not run")] * len(submissions)

    def run(n: int) -> None:
        try:
            outcomes[n] = committer.submit(submissions[n])
        except BaseException as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(submissions))]
    threads[0].start()
    time.sleep(0.05)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 30
    while committer.queued() < len(submissions) - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    hold.set()
    for thread in threads:
        thread.join(60)
    return outcomes


def _check_log(services: Services) -> None:
    """Every stored entry chains onto the one before and the tree matches the head."""
    with read_connection(services.engine) as connection:
        stored = read_entries(connection, 0, 100_000)
    tree = MemoryTree()
    prev = GENESIS_PREV
    for idx, data in stored:
        envelope = decode_envelope(data)
        assert envelope.index == idx and envelope.prev == prev
        prev = hash_leaf(data)
        tree.append(prev)
    head = services.ledger.head()
    assert head.size == len(stored) and root_hash(tree, head.size) == head.root_hash


def test_requests_queued_together_get_contiguous_indices_of_their_own(
    services: Services, engine_name: str, probe: None
) -> None:
    committer = GroupCommitter(services.engine)
    hold = threading.Event()
    sizes = [3, 1, 7, 2, 5, 1, 4, 6, 2, 3, 8, 1]
    submissions = [
        _submission(f"r{n}", size, before=(lambda: hold.wait(30)) if n == 0 else lambda: None)
        for n, size in enumerate(sizes)
    ]
    groups_before = _samples(engine_name)
    start = services.ledger.head().size
    outcomes = _run_group(committer, submissions, hold)

    results = [o for o in outcomes if isinstance(o, AppendResult)]
    assert len(results) == len(sizes), outcomes
    assert [len(r.indices) for r in results] == sizes
    covered = sorted(i for r in results for i in r.indices)
    assert covered == list(range(start, start + sum(sizes)))  # no gap, no duplicate
    # The first request went alone; every other one was sequenced in the next group, in order.
    assert results[0].first_index == start
    firsts = [r.first_index for r in results[1:]]
    assert firsts == sorted(firsts)
    assert _samples(engine_name) - groups_before == 2

    with read_connection(services.engine) as connection:
        openings = read_openings(connection, covered)
        first_of = dict(connection.execute(select(probe_t.c.tag, probe_t.c.first_index)).all())
        owner = dict(connection.execute(select(indexed_t.c.idx, indexed_t.c.tag)).all())
        stored = dict(read_entries(connection, start, start + sum(sizes)))
    for n, result in enumerate(results):
        tag = f"r{n}"
        assert first_of[tag] == result.first_index
        assert {owner[i] for i in result.indices} == {tag}
        for entry in result.entries:  # each request's own entries, as the log holds them
            assert stored[entry.index] == entry.envelope.encode()
            assert openings[entry.index] == (entry.opening.salt, entry.opening.payload_bytes)
            assert decode_envelope(stored[entry.index]).actor == f"institution:{tag.upper()}"
    assert results[-1].size == services.ledger.head().size
    assert results[-1].root_hash == services.ledger.head().root_hash
    _check_log(services)


def _samples(engine_name: str) -> float:
    del engine_name
    for metric in GROUP_REQUESTS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels.get("writer") == "group":
                return sample.value
    return 0.0


def test_a_request_whose_rows_fail_fails_alone(
    services: Services, engine_name: str, probe: None
) -> None:
    committer = GroupCommitter(services.engine)
    hold = threading.Event()

    def clash(connection: Connection) -> None:
        connection.execute(insert(probe_t).values(tag="r1", first_index=None))  # r1 is taken

    submissions = [
        _submission("r0", 2, before=lambda: hold.wait(30)),
        _submission("r1", 3),
        _submission("bad", 4, extra_stage=clash),
        _submission("r3", 5),
    ]
    start = services.ledger.head().size
    outcomes = _run_group(committer, submissions, hold)

    assert isinstance(outcomes[2], IntegrityError)
    good = [outcomes[n] for n in (0, 1, 3)]
    assert all(isinstance(o, AppendResult) for o in good), outcomes
    assert sorted(i for o in good if isinstance(o, AppendResult) for i in o.indices) == list(
        range(start, start + 10)
    )
    with read_connection(services.engine) as connection:
        tags = set(connection.execute(select(probe_t.c.tag)).scalars())
    assert tags == {"r0", "r1", "r3"}  # nothing of the failed request
    _check_log(services)


def test_a_group_that_fails_under_the_lock_writes_nothing(
    services: Services, engine_name: str, probe: None
) -> None:
    committer = GroupCommitter(services.engine)
    hold = threading.Event()
    submissions = [
        _submission("r0", 2, before=lambda: hold.wait(30)),
        _submission("r1", 3),
        _submission("r2", 1, bad_finish=True),
    ]
    committer.submit(_submission("first", 1))
    head = services.ledger.head()
    outcomes = _run_group(committer, submissions, hold)

    assert isinstance(outcomes[0], AppendResult)  # the first group, alone
    # The duplicate row's error, as the driver raised it, for every request of the group.
    assert all(isinstance(o, Exception) and "unique" in str(o).lower() for o in outcomes[1:]), (
        outcomes
    )
    assert services.ledger.head().size == head.size + 2
    with read_connection(services.engine) as connection:
        assert set(connection.execute(select(probe_t.c.tag)).scalars()) == {"first", "r0"}
    # The committer is still usable, and the log still chains.
    assert committer.submit(_submission("after", 2)).first_index == head.size + 2
    _check_log(services)


def test_many_threads_hammering_one_committer(
    services: Services, engine_name: str, probe: None
) -> None:
    committer = GroupCommitter(services.engine)
    results: list[AppendResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        for n in range(8):
            try:
                result = committer.submit(_submission(f"t{thread}-{n}", 1 + (thread + n) % 9))
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                continue
            with lock:
                results.append(result)

    start = services.ledger.head().size
    threads = [threading.Thread(target=work, args=(t,)) for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(results) == 96
    covered = sorted(i for r in results for i in r.indices)
    assert covered == list(range(start, services.ledger.head().size))
    _check_log(services)


def test_requests_arriving_while_another_process_sequences_join_the_waiting_group(
    services: Services, engine_name: str, probe: None
) -> None:
    """A leader polls for the head lock; whoever queues meanwhile is sequenced with it."""
    if engine_name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE already holds the lock before anything is staged")
    committer = GroupCommitter(services.engine)
    groups_before = _samples("postgres")
    outcomes: list[AppendResult | BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            result: AppendResult | BaseException = committer.submit(_submission(f"w{n}", 1 + n))
        except BaseException as exc:
            result = exc
        with lock:
            outcomes.append(result)

    with services.ledger.transaction() as tx:
        read_head(tx.connection, for_update=True)  # another writer holds the sequencer
        threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
        threads[0].start()
        time.sleep(0.2)  # the first leads, stages and polls for the lock
        for thread in threads[1:]:
            thread.start()
        time.sleep(0.5)  # the others arrive and join it
    for thread in threads:
        thread.join(60)
    assert all(isinstance(o, AppendResult) for o in outcomes), outcomes
    assert _samples("postgres") - groups_before == 1
    _check_log(services)
