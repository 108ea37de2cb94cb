"""Schedulers in one process on SQLite: only the leader runs leader jobs, each slot once."""

from __future__ import annotations

import time
from dataclasses import replace

from creditbank.operations import runs
from creditbank.operations.jobs import Daily, Every, JobSpec
from creditbank.operations.scheduler import Scheduler
from creditbank.operations.settings import OperationsSettings
from creditbank.wiring import Services, scheduled_jobs
from tests.ledger.helpers import entries

FAST = OperationsSettings(
    checkpoint_job_seconds=0.5, lease_seconds=3, lease_renew_seconds=0.5, audit_seconds=1
)


def _counting(calls: list[str]) -> JobSpec:
    def run() -> str:
        calls.append("ran")
        return f"call {len(calls)}"

    return JobSpec("count", "counts its calls", run, Every(3600))


def _failing() -> str:
    raise RuntimeError("disk on fire")


def test_only_the_leader_runs_and_a_slot_runs_once(services: Services) -> None:
    calls: list[str] = []
    jobs = [_counting(calls)]
    one = Scheduler(lambda: services.engine, jobs, FAST)
    two = Scheduler(lambda: services.engine, jobs, FAST)
    assert one.heartbeat() and not two.heartbeat()
    assert two.run_job("count") is None  # not the leader: does nothing
    first = one.run_job("count")
    assert first is not None and first.status == "ok" and first.detail == "call 1"
    # The same hour-long slot again (say a second leader after a split): refused.
    assert one.run_job("count") is None
    assert calls == ["ran"]
    [row] = runs.runs_of(services.engine, "count")
    assert row.holder == one.holder.id and row.finished_at is not None
    # The leader goes away cleanly; the other takes over and finds the slot taken.
    one.shutdown()
    assert two.heartbeat() and two.leading
    assert two.run_job("count") is None and calls == ["ran"]


def test_a_failing_job_is_recorded_as_an_error(services: Services) -> None:
    spec = JobSpec("fails", "always fails", _failing, Daily(3))
    scheduler = Scheduler(lambda: services.engine, [spec], FAST)
    assert scheduler.heartbeat()
    run = scheduler.run_job("fails")
    assert run is not None and run.status == "error" and "disk on fire" in (run.detail or "")


def test_runs_left_by_a_dead_leader_are_marked_abandoned(services: Services) -> None:
    dead = Scheduler(lambda: services.engine, [], FAST)
    assert dead.heartbeat()
    assert runs.claim_slot(services.engine, "checkpoint", "slot-1", dead.holder) is not None
    with services.engine.begin() as connection:  # its lease runs out
        connection.exec_driver_sql("UPDATE scheduler_lease SET expires_at = '2000-01-01'")
    successor = Scheduler(lambda: services.engine, [], FAST)
    assert successor.heartbeat()
    [run] = runs.runs_of(services.engine, "checkpoint")
    assert run.status == "abandoned"


def test_the_background_scheduler_publishes_checkpoints(services: Services) -> None:
    settings = replace(services.settings, operations=FAST)
    leader_jobs = [s for s in scheduled_jobs(settings, lambda: services) if s.leader_only]
    scheduler = Scheduler(lambda: services.engine, leader_jobs, FAST)
    services.ledger.append(entries(3))
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = [r for r in runs.runs_of(services.engine, "checkpoint") if r.detail]
            if done:
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown()
    assert done and "at size 3" in (done[0].detail or "")
    assert services.ledger.current_checkpoint().size == 3
    # Slots are unique per job: no slot appears twice.
    slots = [r.slot for r in runs.runs_of(services.engine, "checkpoint")]
    assert len(slots) == len(set(slots))


def test_the_registry_names_every_job_once(services: Services) -> None:
    names = [spec.name for spec in services.jobs()]
    assert len(names) == len(set(names))
    assert {"checkpoint", "audit", "audit-full", "expire-consents", "flag-certificates"} <= set(
        names
    )
    assert not next(s for s in services.jobs() if s.name == "cohorts").leader_only
