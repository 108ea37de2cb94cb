"""Cohorts spread over processes: chunks claimed for a lease, results kept exactly once.

The learners here are ids the bank does not know: each is evaluated into one "no consent"
line, which is all these tests need to count who was evaluated how often.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.cohorts.service import (
    CHUNK,
    LEASE,
    JobView,
    chunk_t,
    claim_chunk,
    finish_chunk,
    job_view,
    queue,
    results_csv,
    run_pending,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World

POLICY = "cq-3plus2-industrial-robotics"
A = "CQ-GZ-001"
ROOT = Path(__file__).resolve().parents[2]


def _queue(services: Services, count: int) -> JobView:
    return queue(
        services.engine,
        institution=A,
        submitted_by="registrar",
        policy_id=POLICY,
        on=date(2026, 9, 1),
        learners=[f"learner-{n:06d}" for n in range(count)],
        now=utc_now(),
    )


def _evaluated(services: Services, job: JobView) -> Counter[str]:
    lines = results_csv(services.engine, job.id, A).splitlines()[1:]
    return Counter(line.split(",")[0] for line in lines)


def _chunks(services: Services, job: JobView) -> list[tuple[int, str, int, str | None]]:
    with read_connection(services.engine) as connection:
        rows = connection.execute(
            select(chunk_t.c.number, chunk_t.c.status, chunk_t.c.attempts, chunk_t.c.claimed_by)
            .where(chunk_t.c.job_id == job.id)
            .order_by(chunk_t.c.number)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _worker(url: str, name: str, mode: str, ready: Path, peers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.cohorts.chunk_worker",
            url,
            name,
            mode,
            str(ready),
            str(peers),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_job_is_split_into_chunks_and_merged_in_order(
    base_world: World, engine_name: str
) -> None:
    services = base_world.services
    job = _queue(services, 2 * CHUNK + 7)
    assert [c[:3] for c in _chunks(services, job)] == [(n, "queued", 0) for n in range(3)]
    assert run_pending(services.engine, services.policies) == 3
    done = job_view(services.engine, job.id, A)
    assert (done.status, done.done, done.total) == ("done", 2 * CHUNK + 7, 2 * CHUNK + 7)
    lines = results_csv(services.engine, job.id, A).splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == [f"learner-{n:06d}" for n in range(107)]


def test_a_claim_that_outlived_its_lease_keeps_nothing(base_world: World, engine_name: str) -> None:
    services = base_world.services
    job = _queue(services, 3)
    now = utc_now()
    slow = claim_chunk(services.engine, "slow", now=now)
    assert slow is not None
    assert claim_chunk(services.engine, "other", now=now) is None  # leased: not free
    later = now + LEASE + timedelta(seconds=1)
    fresh = claim_chunk(services.engine, "fresh", now=later)
    assert fresh is not None and fresh.number == slow.number and fresh.claim != slow.claim
    assert finish_chunk(services.engine, fresh, "learner-000000,,,,,x\n", now=later)
    assert not finish_chunk(services.engine, slow, "learner-000000,,,,,slow\n", now=later)
    assert results_csv(services.engine, job.id, A).splitlines()[1:] == ["learner-000000,,,,,x"]
    done = job_view(services.engine, job.id, A)
    assert (done.status, done.done) == ("done", 3)
    assert _chunks(services, job) == [(0, "done", 2, "fresh")]


def test_a_process_killed_mid_chunk_loses_nothing(
    base_world: World, engine_name: str, tmp_path: Path
) -> None:
    services = base_world.services
    job = _queue(services, 3 * CHUNK)
    hung = _worker(services.settings.database_url, "doomed", "hang", tmp_path, 1)
    assert hung.stdout is not None
    taken = int(hung.stdout.readline())
    hung.send_signal(signal.SIGKILL)
    hung.wait()
    hung.stdout.close()
    # Until its lease runs out the dead process's chunk waits; every other chunk runs.
    assert run_pending(services.engine, services.policies) == 2
    assert job_view(services.engine, job.id, A).status == "running"
    after = lambda: utc_now() + LEASE + timedelta(seconds=1)  # noqa: E731
    assert run_pending(services.engine, services.policies, now=after) == 1
    done = job_view(services.engine, job.id, A)
    assert (done.status, done.done) == ("done", 3 * CHUNK)
    evaluated = _evaluated(services, job)
    assert len(evaluated) == 3 * CHUNK and set(evaluated.values()) == {1}
    chunks = _chunks(services, job)
    assert [c[2] for c in chunks] == [2 if c[0] == taken else 1 for c in chunks]


@pytest.mark.postgres
@pytest.mark.parametrize("engine_name", ["postgres"], indirect=True)
def test_two_processes_share_a_cohort_and_evaluate_each_learner_once(
    base_world: World, engine_name: str, tmp_path: Path
) -> None:
    services = base_world.services
    job = _queue(services, 20 * CHUNK)
    url = services.settings.database_url
    workers = [_worker(url, name, "run", tmp_path, 2) for name in ("first", "second")]
    ran = [int(w.communicate(timeout=300)[0]) for w in workers]
    assert sum(ran) == 20
    done = job_view(services.engine, job.id, A)
    assert (done.status, done.done) == ("done", 20 * CHUNK)
    evaluated = _evaluated(services, job)
    assert len(evaluated) == 20 * CHUNK and set(evaluated.values()) == {1}
    chunks = _chunks(services, job)
    assert {c[2] for c in chunks} == {1}  # no chunk was claimed twice
    assert {c[3] for c in chunks} == {"first", "second"}
    assert Counter(c[3] for c in chunks) == {"first": ran[0], "second": ran[1]}


@pytest.mark.postgres
@pytest.mark.parametrize("engine_name", ["postgres"], indirect=True)
def test_claimers_skip_a_chunk_another_is_claiming(base_world: World, engine_name: str) -> None:
    services = base_world.services
    job = _queue(services, 2 * CHUNK)
    got: list[object] = []
    with services.engine.connect() as holder, holder.begin():
        holder.execute(
            select(chunk_t.c.number)
            .where(chunk_t.c.job_id == job.id, chunk_t.c.number == 0)
            .with_for_update()
        ).one()
        claimer = threading.Thread(
            target=lambda: got.append(claim_chunk(services.engine, "b", now=utc_now()))
        )
        claimer.start()
        claimer.join(timeout=60)
        assert not claimer.is_alive(), "the claimer waited for the locked chunk"
    claimed = got[0]
    assert claimed is not None and claimed.number == 1  # type: ignore[attr-defined]
