"""Two scheduler processes (PostgreSQL, and SQLite too): one leads, each job slot runs once,
and when the leader is killed with SIGKILL the other takes over once its lease runs out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from creditbank.config import Settings
from creditbank.operations.lease import LeaseView, current_lease
from creditbank.operations.runs import run_t, runs_of
from creditbank.wiring import Services
from tests.conftest import ORIGIN
from tests.ledger.helpers import entries

pytestmark = pytest.mark.slow  # and on both engines: SQLite serves several processes too
LEASE = 4
COMMAND = Path(sys.executable).with_name("creditbank")


def _wait(what: str, check: Callable[[], bool], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def schedulers(settings: Settings, services: Services) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "CREDITBANK_INSTANCE": str(settings.instance_path),
        "CREDITBANK_DATABASE_URL": settings.database_url,
        "CREDITBANK_LOG_ORIGIN": ORIGIN,
        "CREDITBANK_CHECKPOINT_JOB_SECONDS": "1",
        "CREDITBANK_AUDIT_SECONDS": "2",
        "CREDITBANK_EXPIRY_SECONDS": "3",
        "CREDITBANK_COHORT_SECONDS": "60",
        "CREDITBANK_LEASE_SECONDS": str(LEASE),
        "CREDITBANK_LEASE_RENEW_SECONDS": "1",
    }
    started = [
        subprocess.Popen(
            [str(COMMAND), "scheduler", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lease(services: Services) -> LeaseView:
    lease = current_lease(services.engine)
    assert lease is not None
    return lease


def _duplicate_slots(services: Services) -> list[object]:
    with services.engine.connect() as connection:
        return list(
            connection.execute(
                select(run_t.c.job, run_t.c.slot, func.count())
                .where(run_t.c.slot.is_not(None))
                .group_by(run_t.c.job, run_t.c.slot)
                .having(func.count() > 1)
            )
        )


def test_one_leader_runs_each_job_and_a_killed_leader_is_replaced(
    services: Services, schedulers: list[subprocess.Popen[bytes]], engine_name: str
) -> None:
    by_pid = {process.pid: process for process in schedulers}

    def leader_checkpointed(count: int) -> Callable[[], bool]:
        def check() -> bool:
            services.ledger.append(entries(1))
            return len([r for r in runs_of(services.engine, "checkpoint") if r.detail]) >= count

        return check

    _wait("the first leader's checkpoints", leader_checkpointed(3))
    assert all(process.poll() is None for process in schedulers)  # both are running
    first = _lease(services)
    assert first.pid in by_pid
    for job in ("checkpoint", "audit"):
        ran = runs_of(services.engine, job)
        assert ran and {run.holder for run in ran} == {first.holder}, job
    assert _duplicate_slots(services) == []

    by_pid[first.pid].send_signal(signal.SIGKILL)
    by_pid[first.pid].wait(timeout=30)
    _wait("a new leader", lambda: _lease(services).holder != first.holder)
    second = _lease(services)
    survivor = next(p for p in schedulers if p.pid != first.pid)
    assert second.pid == survivor.pid
    # Nothing of the dead leader's ran after the survivor took over.
    killed_lease_end = max(
        r.started_at for r in runs_of(services.engine, "checkpoint") if r.holder == first.holder
    )
    assert second.acquired_at > killed_lease_end
    takeover = (second.acquired_at - killed_lease_end).total_seconds()
    print(f"take-over {takeover:.2f}s after the dead leader's last run (lease {LEASE}s)")

    before = len([r for r in runs_of(services.engine, "checkpoint") if r.detail])
    _wait("the new leader's checkpoints", leader_checkpointed(before + 2))
    after = [r for r in runs_of(services.engine, "checkpoint") if r.started_at > second.acquired_at]
    assert after and {run.holder for run in after} == {second.holder}
    # Before the take-over only the first leader ran anything, after it only the second.
    for job in ("checkpoint", "audit"):
        for run in runs_of(services.engine, job):
            expected = first.holder if run.started_at < second.acquired_at else second.holder
            assert run.holder == expected, (job, run)
    assert _duplicate_slots(services) == []
    statuses = {(run.status, run.detail) for run in runs_of(services.engine, "audit")}
    assert {status for status, _ in statuses} <= {"ok", "running", "abandoned"}, statuses
