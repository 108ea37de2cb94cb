"""Recording job runs in ``job_run``, and reading them back for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from creditbank.clock import utc_now
from creditbank.operations.lease import Holder
from creditbank.operations.tables import JobRun
from creditbank.storage.database import read_connection, write_transaction

run_t = JobRun.__table__  # type: ignore[attr-defined]
MAX_DETAIL = 2000


@dataclass(frozen=True)
class RunView:
    """One run as administrators see it."""

    id: int
    job: str
    slot: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    detail: str | None
    host: str
    pid: int
    holder: str


def _view(row: object) -> RunView:
    m = row._mapping  # type: ignore[attr-defined]
    return RunView(
        m["id"],
        m["job"],
        m["slot"],
        m["started_at"],
        m["finished_at"],
        m["status"],
        m["detail"],
        m["host"],
        m["pid"],
        m["holder"],
    )


def claim_slot(engine: Engine, job: str, slot: str, holder: Holder) -> int | None:
    """Insert the ``running`` row of a slot; None when the slot was run already."""
    try:
        with write_transaction(engine) as connection:
            result = connection.execute(
                insert(run_t)
                .values(
                    job=job,
                    slot=slot,
                    started_at=utc_now(),
                    status="running",
                    host=holder.host,
                    pid=holder.pid,
                    holder=holder.id,
                )
                .returning(run_t.c.id)
            )
            run_id: int = result.scalar_one()
            return run_id
    except IntegrityError:
        return None


def finish(engine: Engine, run_id: int, status: str, detail: str | None) -> None:
    """Close a run with ``ok`` or ``error``."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(run_t)
            .where(run_t.c.id == run_id)
            .values(finished_at=utc_now(), status=status, detail=_clip(detail))
        )


def record(
    engine: Engine,
    job: str,
    holder: Holder,
    started: datetime,
    *,
    status: str,
    detail: str | None,
) -> None:
    """Insert a finished run in one go (for jobs of every process, recorded after the fact)."""
    with write_transaction(engine) as connection:
        connection.execute(
            insert(run_t).values(
                job=job,
                slot=None,
                started_at=started,
                finished_at=utc_now(),
                status=status,
                detail=_clip(detail),
                host=holder.host,
                pid=holder.pid,
                holder=holder.id,
            )
        )


def abandon_others(engine: Engine, holder: Holder) -> int:
    """Mark runs left ``running`` by earlier leaders (which died) as ``abandoned``."""
    with write_transaction(engine) as connection:
        return connection.execute(
            update(run_t)
            .where(run_t.c.status == "running", run_t.c.holder != holder.id)
            .values(status="abandoned", finished_at=utc_now(), detail="its leader stopped")
        ).rowcount


def prune(engine: Engine, days: int, *, now: datetime | None = None) -> int:
    """Delete runs older than ``days``, keeping each job's latest run."""
    cutoff = (now or utc_now()) - timedelta(days=days)
    with write_transaction(engine) as connection:
        latest = select(func.max(run_t.c.id)).group_by(run_t.c.job).scalar_subquery()
        return connection.execute(
            delete(run_t).where(run_t.c.started_at < cutoff, run_t.c.id.not_in(latest))
        ).rowcount


def list_runs(
    connection: Connection, *, job: str | None = None, status: str | None = None, limit: int = 100
) -> list[RunView]:
    """The latest runs, newest first."""
    query = select(run_t).order_by(run_t.c.id.desc()).limit(limit)
    if job is not None:
        query = query.where(run_t.c.job == job)
    if status is not None:
        query = query.where(run_t.c.status == status)
    return [_view(row) for row in connection.execute(query)]


def last_runs(connection: Connection) -> dict[str, RunView]:
    """Each job's latest run."""
    latest = select(func.max(run_t.c.id)).group_by(run_t.c.job)
    rows = connection.execute(select(run_t).where(run_t.c.id.in_(latest)))
    return {row.job: _view(row) for row in rows}


def last_success(connection: Connection) -> dict[str, datetime]:
    """When each job last finished ``ok``."""
    rows = connection.execute(
        select(run_t.c.job, func.max(run_t.c.finished_at))
        .where(run_t.c.status == "ok")
        .group_by(run_t.c.job)
    )
    return {job: moment for job, moment in rows if moment is not None}


def status_counts(connection: Connection) -> dict[tuple[str, str], int]:
    """How many recorded runs each (job, status) has."""
    rows = connection.execute(
        select(run_t.c.job, run_t.c.status, func.count()).group_by(run_t.c.job, run_t.c.status)
    )
    return {(job, status): count for job, status, count in rows}


def runs_of(engine: Engine, job: str) -> list[RunView]:
    """Every recorded run of ``job``, oldest first (for tests and the CLI)."""
    with read_connection(engine) as connection:
        return list(reversed(list_runs(connection, job=job, limit=1_000_000)))


def _clip(detail: str | None) -> str | None:
    if detail is None or len(detail) <= MAX_DETAIL:
        return detail
    return detail[: MAX_DETAIL - 1] + "…"
