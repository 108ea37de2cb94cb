"""Reads on a real streaming replica: byte-identical log answers, lag bound, fallback.

A primary and a hot standby of our own are made for this module (``initdb``, then
``pg_basebackup -R``; see scripts/bench/pg_clusters.py), so the shared server is not touched.
As root the servers run as the ``postgres`` user. The lag clock of the pool is a fake one the
tests move, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from creditbank.clock import utc_now
from creditbank.indicators.snapshot import refresh
from creditbank.learners.data_keys import vault
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.store import read_openings
from creditbank.storage.database import create_db_engine, read_connection
from creditbank.storage.replicas import ReadPool, format_lsn, parse_lsn
from creditbank.wiring import WRITTEN_COOKIE, Services, initialise, read_engine, remember_write
from scripts.bench.pg_clusters import Pair, primary_and_replica, why_unavailable
from tests.conftest import make_settings
from tests.ledger.helpers import entries
from tests.templates import bound_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    reason = why_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with primary_and_replica() as started:
        yield started


@pytest.fixture(scope="module")
def opened(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = make_settings(tmp_path_factory.mktemp("replicas") / "instance", pair.primary.url)
    settings = settings.with_overrides({"replica_urls": (pair.replica.url,)})
    services = initialise(settings)
    yield services
    services.close()


@pytest.fixture(scope="module")
def replica_engine(pair: Pair) -> Iterator[Engine]:
    engine = create_db_engine(pair.replica.url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pool(opened: Services, replica_engine: Engine, clock: FakeClock) -> Iterator[ReadPool]:
    """The service's reads go through a pool on the fake clock, checked on every read."""
    kept = opened.ledger.reads
    pool = ReadPool(
        opened.engine, [replica_engine], max_lag_seconds=5.0, check_every_seconds=0.0, clock=clock
    )
    opened.ledger.reads = pool
    yield pool
    opened.ledger.reads = kept


@pytest.fixture
def app(opened: Services) -> Flask:
    return bound_app(opened)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def replayed(replica: Engine) -> int:
    with replica.connect() as connection:
        return parse_lsn(connection.execute(text("SELECT pg_last_wal_replay_lsn()::text")).one()[0])


def wait_for_replay(pool: ReadPool, replica: Engine) -> None:
    """Wait until the replica has replayed everything the primary has now (or fail)."""
    target = pool.primary_position()
    assert target is not None
    deadline = time.monotonic() + 60
    while replayed(replica) < target:
        assert time.monotonic() < deadline, "the replica did not catch up within a minute"
        time.sleep(0.05)


def log_answers(client: FlaskClient, size: int) -> list[bytes]:
    """Every kind of log answer for a tree of ``size``, as the bytes a client receives."""
    paths = [
        f"/api/v1/log/entries?start=0&end={size}",
        f"/api/v1/log/entries?start={size // 2}&end={size}",
        f"/api/v1/log/proofs/inclusion?index=0&size={size}",
        f"/api/v1/log/proofs/inclusion?index={size - 1}&size={size}",
        f"/api/v1/log/proofs/inclusion?index={size // 3}&size={size - 1}",
        f"/api/v1/log/proofs/consistency?first=1&second={size}",
        f"/api/v1/log/proofs/consistency?first={size // 2}&second={size}",
        "/api/v1/log/checkpoint",
    ]
    answers = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        answers.append(response.get_data())
    return answers


def grow(opened: Services, count: int) -> int:
    size = opened.ledger.head().size
    opened.ledger.append(entries(count, start=size))
    return opened.ledger.publish_checkpoint().size


def test_log_answers_from_the_replica_are_the_primarys_bytes(
    opened: Services, pool: ReadPool, replica_engine: Engine, client: FlaskClient
) -> None:
    size = grow(opened, 70)
    wait_for_replay(pool, replica_engine)

    from_replica = log_answers(client, size)
    assert pool.served == {"primary": 0, "replica": len(from_replica)}

    opened.ledger.reads = ReadPool(opened.engine, [])  # primary alone
    from_primary = log_answers(client, size)
    assert from_replica == from_primary


def test_a_size_the_replica_lacks_is_answered_by_the_primary(
    opened: Services,
    pool: ReadPool,
    replica_engine: Engine,
    client: FlaskClient,
    clock: FakeClock,
) -> None:
    before = grow(opened, 5)
    wait_for_replay(pool, replica_engine)
    with replica_engine.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_pause()"))
    try:
        after = grow(opened, 9)
        # Within the bound the replica stays in use for what it holds ...
        old = client.get(f"/api/v1/log/proofs/inclusion?index=3&size={before}")
        assert old.status_code == 200
        assert pool.served == {"primary": 0, "replica": 1}
        # ... and hands what it lacks to the primary, which has it.
        new = client.get(f"/api/v1/log/proofs/inclusion?index=3&size={after}")
        page = client.get(f"/api/v1/log/entries?start={before}&end={after}")
        assert new.status_code == page.status_code == 200
        assert [e["index"] for e in page.get_json()["entries"]] == list(range(before, after))
        assert pool.served == {"primary": 2, "replica": 1}
        assert pool.status()[0].in_use

        # Past the bound it is left out altogether.
        clock.now += 6
        status = pool.status()[0]
        assert not status.in_use
        assert status.lag_seconds is not None
        assert status.lag_seconds > 5
        assert "over the bound" in str(status.problem)
        client.get(f"/api/v1/log/proofs/inclusion?index=3&size={before}")
        assert pool.served == {"primary": 3, "replica": 1}
    finally:
        with replica_engine.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_resume()"))

    wait_for_replay(pool, replica_engine)
    clock.now += 1
    assert pool.status()[0].in_use
    assert pool.status()[0].lag_seconds == 0.0
    client.get(f"/api/v1/log/proofs/inclusion?index=3&size={after}")
    assert pool.served == {"primary": 3, "replica": 2}


def test_a_visitors_reads_after_their_write_wait_for_it_to_replicate(
    opened: Services, pool: ReadPool, replica_engine: Engine, app: Flask
) -> None:
    wait_for_replay(pool, replica_engine)
    with replica_engine.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_pause()"))
    try:
        grow(opened, 3)  # the visitor's write
        with app.test_request_context("/portal", method="POST"):
            answered = remember_write(Response(status=303))
        cookie = answered.headers["Set-Cookie"]
        assert cookie.startswith(f"{WRITTEN_COOKIE}=")
        written = cookie.split(";")[0].split("=", 1)[1]
        assert parse_lsn(written) > replayed(replica_engine)

        with app.test_request_context("/portal", headers={"Cookie": f"{WRITTEN_COOKIE}={written}"}):
            assert read_engine() is opened.engine  # the replica has not replayed it
        with app.test_request_context("/dashboard"):
            assert read_engine() is replica_engine  # others may read the replica meanwhile
    finally:
        with replica_engine.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_resume()"))
    wait_for_replay(pool, replica_engine)
    with app.test_request_context("/portal", headers={"Cookie": f"{WRITTEN_COOKIE}={written}"}):
        assert read_engine() is replica_engine


def test_a_failed_write_or_a_read_sets_no_position(app: Flask, pool: ReadPool) -> None:
    with app.test_request_context("/portal", method="POST"):
        assert "Set-Cookie" not in remember_write(Response(status=400)).headers
    with app.test_request_context("/portal"):
        assert "Set-Cookie" not in remember_write(Response(status=200)).headers


def test_the_dashboard_is_read_from_the_replica(
    opened: Services, pool: ReadPool, replica_engine: Engine, client: FlaskClient
) -> None:
    refresh(opened.engine, opened.policies, now=utc_now())
    wait_for_replay(pool, replica_engine)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert pool.served["replica"] >= 1
    assert pool.served["primary"] == 0


def test_a_stopped_replica_is_left_out_and_the_primary_answers(
    pair: Pair, opened: Services, pool: ReadPool, replica_engine: Engine, client: FlaskClient
) -> None:
    size = grow(opened, 4)
    wait_for_replay(pool, replica_engine)
    before = log_answers(client, size)
    pair.stop(pair.replica)
    try:
        after = log_answers(client, size)
        assert after == before
        status = pool.status()[0]
        assert not status.in_use
        assert "unreachable" in str(status.problem)
        health = client.get("/healthz")
        assert health.status_code == 200  # the primary answers: the process stays healthy
        assert health.get_json()["replicas"][0]["in_use"] is False
        with opened.ledger.transaction() as tx:  # the service keeps writing, too
            tx.append(entries(1, start=size))
    finally:
        pair.start(pair.replica)
    wait_for_replay(pool, replica_engine)
    assert pool.status()[0].in_use
    assert client.get("/healthz").get_json()["replicas"][0]["in_use"] is True


def test_positions_read_and_write_as_postgresql_does() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert format_lsn(parse_lsn("16/B374D848")) == "16/B374D848"
    assert format_lsn(parse_lsn("0/0")) == "0/0"
    for bad in ("", "16", "16/", "/1", "x/1", "123456789/0"):
        with pytest.raises(ValueError):
            parse_lsn(bad)


def test_reads_inside_a_request_that_writes_go_to_the_primary(
    pool: ReadPool, replica_engine: Engine, app: Flask
) -> None:
    wait_for_replay(pool, replica_engine)
    with app.test_request_context("/registrar/evaluations", method="POST"):
        assert read_engine() is pool.primary  # a page rendered after this request's write
        assert read_engine(read_only_request=True) is replica_engine  # a posted verification
    with app.test_request_context("/registrar"):
        assert read_engine() is replica_engine


def test_sealed_learner_data_opens_on_the_replica(opened: Services) -> None:
    # What is sealed under a learner's key (openings, record contents, results) is read on a
    # replica too: the service's replica engines find the learners' key store.
    appended = opened.ledger.append(
        [NewEntry("consent.granted", "learner", {"learner": "L-replica", "n": 1})]
    )
    index = appended.size - 1
    (replica,) = opened.ledger.reads.replica_engines
    wait_for_replay(opened.ledger.reads, replica)
    with read_connection(replica) as connection:
        opening = read_openings(connection, [index]).get(index)
        assert opening is not None
        assert json.loads(opening[1])["learner"] == "L-replica"
        assert vault(connection).readable("L-replica")
