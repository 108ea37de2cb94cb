"""What operators read about the scheduled jobs: each job with its latest run, and the leader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from creditbank.operations import runs
from creditbank.operations.jobs import JobSpec
from creditbank.operations.lease import LeaseView, read_lease


@dataclass(frozen=True)
class JobStatus:
    """One registered job and its latest recorded run (None before it first ran)."""

    spec: JobSpec
    last_run: runs.RunView | None


@dataclass(frozen=True)
class LeaderStatus:
    """The scheduler lease as of ``now``: who holds it and how long since its heartbeat."""

    lease: LeaseView
    valid: bool
    heartbeat_age_seconds: float


@dataclass(frozen=True)
class JobsOverview:
    """Every registered job with its latest run, and the leader (None before any scheduler)."""

    jobs: list[JobStatus]
    leader: LeaderStatus | None


def jobs_overview(connection: Connection, jobs: Sequence[JobSpec], now: datetime) -> JobsOverview:
    """Read each registered job's latest run and the lease in one connection."""
    latest = runs.last_runs(connection)
    lease = read_lease(connection)
    leader = (
        None
        if lease is None
        else LeaderStatus(
            lease, lease.valid(now), max(0.0, (now - lease.renewed_at).total_seconds())
        )
    )
    return JobsOverview([JobStatus(spec, latest.get(spec.name)) for spec in jobs], leader)


def find_job(jobs: Sequence[JobSpec], name: str) -> JobSpec | None:
    """The registered job called ``name``, if there is one."""
    return next((spec for spec in jobs if spec.name == name), None)
