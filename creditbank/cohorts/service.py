"""Submitting, running and reading cohort evaluations.

A cohort is a list of learners evaluated against one policy on one date, as what-if
evaluations (nothing enters the log; a registrar commits the ones they approve). Consent is
checked when the cohort is queued and again for each learner when they are evaluated: a
learner who withdrew it meanwhile is skipped, with the reason in the ``skipped`` column.
A job's learners are split into chunks (``cohort_chunk``) that any serving process, on any
host, claims for a lease: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so claimers pass
each other instead of queueing (SQLite has one writer at a time, so one claimer at a time).
A chunk's results are written in the one transaction that marks it done and counts it in
the job's progress, and only while the claim is still the process's own: a process killed
mid-chunk leaves nothing behind and its chunk is claimed again after the lease; one that
outlived its lease finds its claim replaced and keeps nothing. So every learner of a job is
evaluated into its results exactly once, whichever processes ran it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from creditbank.auth.access_log import Read, ReadKind, record_reads
from creditbank.clock import utc_now
from creditbank.cohorts import MAX_LEARNERS
from creditbank.cohorts.tables import CohortChunk, CohortJob
from creditbank.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.evaluations.service import current_sources, find_policy
from creditbank.learners.service import ConsentScope, active_consent, consenting_learners
from creditbank.rules.evaluate import evaluate
from creditbank.rules.policy import Policy
from creditbank.spreadsheet import safe_row
from creditbank.storage.database import bulk_insert, read_connection, write_transaction

job_t = CohortJob.__table__  # type: ignore[attr-defined]
chunk_t = CohortChunk.__table__  # type: ignore[attr-defined]

CHUNK = 50  # learners per chunk: a few seconds of evaluation at most
# How long a claim holds a chunk; a process that has not finished by then is presumed dead.
LEASE = timedelta(minutes=5)
HEADER = [
    "learner_id",
    "recognised_credits",
    "remaining_credits",
    "missing_courses",
    "result_hash",
    "skipped",
]
NO_CONSENT = "no evaluate consent for this institution when the evaluation ran"


@dataclass(frozen=True)
class JobView:
    """A cohort job's progress."""

    id: str
    institution: str
    policy_id: str
    policy_version: str | None
    applies_on: date | None
    evaluated_on: date
    status: str
    total: int
    done: int
    submitted_at: datetime
    finished_at: datetime | None
    error: str | None


def _view(row: Any) -> JobView:
    return JobView(
        row.id,
        row.institution,
        row.policy_id,
        row.policy_version,
        row.applies_on,
        row.evaluated_on,
        row.status,
        row.total,
        row.done,
        row.submitted_at,
        row.finished_at,
        row.error,
    )


def submit(
    engine: Engine,
    policies: Mapping[str, Policy],
    *,
    institution: str,
    submitted_by: str,
    policy_id: str,
    on: date,
    learners: Sequence[str] | None,
    applying: Policy | None = None,
    applies_on: date | None = None,
) -> JobView:
    """Queue a cohort; without ``learners``, every learner who gave ``evaluate`` consent.

    ``applying`` is the version that applies to the cohort (by its intake, as the policy
    states), ``applies_on`` the intake start that chose it; by default today's version.
    """
    policy = applying or find_policy(policies, policy_id)
    if policy.programme.institution != institution:
        raise Forbidden(f"{policy.id} is {policy.programme.institution}'s policy")
    now = utc_now()
    with read_connection(engine) as connection:
        allowed = set(consenting_learners(connection, institution, ConsentScope.EVALUATE, now=now))
    chosen = sorted(allowed) if learners is None else list(dict.fromkeys(learners))
    refused = [
        FieldProblem("learners", "no evaluate consent for this institution", index)
        for index, learner in enumerate(chosen)
        if learner not in allowed
    ]
    if refused:
        raise InvalidInput(f"{len(refused)} learners gave no evaluate consent", problems=refused)
    if len(chosen) > MAX_LEARNERS:
        raise InvalidInput(
            f"a cohort holds at most {MAX_LEARNERS} learners",
            problems=[FieldProblem("learners", f"at most {MAX_LEARNERS}")],
        )
    return queue(
        engine,
        institution=institution,
        submitted_by=submitted_by,
        policy_id=policy.id,
        policy_version=policy.version,
        applies_on=applies_on,
        on=on,
        learners=chosen,
        now=now,
    )


def queue(
    engine: Engine,
    *,
    institution: str,
    submitted_by: str,
    policy_id: str,
    on: date,
    learners: Sequence[str],
    now: datetime,
    policy_version: str | None = None,
    applies_on: date | None = None,
) -> JobView:
    """Store a job and its chunks (checked by :func:`submit` first)."""
    job_id = str(uuid.uuid4())
    with write_transaction(engine) as connection:
        connection.execute(
            insert(job_t).values(
                id=job_id,
                institution=institution,
                submitted_by=submitted_by,
                policy_id=policy_id,
                policy_version=policy_version,
                applies_on=applies_on,
                evaluated_on=on,
                learners=json.dumps(list(learners)),
                status="queued",
                total=len(learners),
                done=0,
                results="",
                submitted_at=now,
            )
        )
        bulk_insert(
            connection,
            chunk_t,
            [
                {
                    "job_id": job_id,
                    "number": number,
                    "learners": json.dumps(list(learners[start : start + CHUNK])),
                    "size": len(learners[start : start + CHUNK]),
                    "status": "queued",
                    "attempts": 0,
                    "results": "",
                }
                for number, start in enumerate(range(0, len(learners), CHUNK))
            ],
        )
        if not learners:  # nothing to evaluate: done at once
            connection.execute(
                update(job_t).where(job_t.c.id == job_id).values(status="done", finished_at=now)
            )
        row = connection.execute(select(job_t).where(job_t.c.id == job_id)).one()
    return _view(row)


def read_job(engine: Engine, job_id: str, institution: str) -> Any:
    """A job of ``institution``, or 404 (another institution's job is not found either)."""
    with read_connection(engine) as connection:
        row = connection.execute(select(job_t).where(job_t.c.id == job_id)).first()
    if row is None or row.institution != institution:
        raise NotFound(f"no cohort job {job_id!r}")
    return row


def job_view(engine: Engine, job_id: str, institution: str) -> JobView:
    """Progress of a job."""
    return _view(read_job(engine, job_id, institution))


def results_csv(engine: Engine, job_id: str, institution: str) -> str:
    """The results so far, as CSV with a header: finished chunks in learner order."""
    row = read_job(engine, job_id, institution)
    with read_connection(engine) as connection:
        chunks = connection.execute(
            select(chunk_t.c.results)
            .where(chunk_t.c.job_id == job_id, chunk_t.c.status == "done")
            .order_by(chunk_t.c.number)
        ).scalars()
        merged = "".join(chunks)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(safe_row(HEADER))
    return out.getvalue() + str(row.results) + merged


@dataclass(frozen=True)
class Claimed:
    """A chunk a process holds: what to evaluate, and the claim that proves it still may."""

    job_id: str
    number: int
    claim: str
    learners: tuple[str, ...]
    institution: str
    policy_id: str
    evaluated_on: date
    policy_version: str | None = None
    applies_on: date | None = None
    submitted_by: str = ""


def _claimable(now: datetime) -> Any:
    return and_(
        job_t.c.status.in_(("queued", "running")),
        or_(
            chunk_t.c.status == "queued",
            and_(chunk_t.c.status == "running", chunk_t.c.lease_until < now),
        ),
    )


def claim_chunk(
    engine: Engine, worker: str, *, now: datetime, lease: timedelta = LEASE
) -> Claimed | None:
    """Claim the oldest job's next free chunk (or one whose lease ran out), if any."""
    with write_transaction(engine) as connection:
        row = connection.execute(
            select(chunk_t.c.job_id, chunk_t.c.number, chunk_t.c.learners)
            .join(job_t, job_t.c.id == chunk_t.c.job_id)
            .where(_claimable(now))
            .order_by(job_t.c.submitted_at, chunk_t.c.job_id, chunk_t.c.number)
            .limit(1)
            .with_for_update(skip_locked=True, of=chunk_t)
        ).first()
        if row is None:
            return None
        claim = str(uuid.uuid4())
        connection.execute(
            update(chunk_t)
            .where(chunk_t.c.job_id == row.job_id, chunk_t.c.number == row.number)
            .values(
                status="running",
                claim=claim,
                claimed_by=worker,
                lease_until=now + lease,
                attempts=chunk_t.c.attempts + 1,
            )
        )
        connection.execute(
            update(job_t)
            .where(job_t.c.id == row.job_id, job_t.c.status == "queued")
            .values(status="running", claimed_by=worker)
        )
        job = connection.execute(
            select(
                job_t.c.institution,
                job_t.c.policy_id,
                job_t.c.evaluated_on,
                job_t.c.policy_version,
                job_t.c.applies_on,
                job_t.c.submitted_by,
            ).where(job_t.c.id == row.job_id)
        ).one()
    return Claimed(
        row.job_id,
        row.number,
        claim,
        tuple(json.loads(row.learners)),
        job.institution,
        job.policy_id,
        job.evaluated_on,
        job.policy_version,
        job.applies_on,
        job.submitted_by,
    )


def _lock_job(connection: Connection, job_id: str) -> None:
    # One chunk of a job finishes at a time, so exactly one of them sees the job complete.
    connection.execute(select(job_t.c.id).where(job_t.c.id == job_id).with_for_update()).one()


def finish_chunk(
    engine: Engine,
    claimed: Claimed,
    lines: str,
    *,
    now: datetime,
    reads: Sequence[Read] = (),
) -> bool:
    """Keep a chunk's results if the claim is still ours; False (nothing kept) if not.

    ``reads`` (the learners whose records the chunk read) go into their access log in the
    same transaction, so a chunk evaluated again after a lost lease is noted once.
    """
    with write_transaction(engine) as connection:
        _lock_job(connection, claimed.job_id)
        kept = connection.execute(
            update(chunk_t)
            .where(
                chunk_t.c.job_id == claimed.job_id,
                chunk_t.c.number == claimed.number,
                chunk_t.c.claim == claimed.claim,
                chunk_t.c.status == "running",
            )
            .values(status="done", results=lines, finished_at=now, lease_until=None)
        ).rowcount
        if kept != 1:
            return False  # the lease ran out and another process holds (or did) this chunk
        record_reads(connection, reads, at=now)
        connection.execute(
            update(job_t)
            .where(job_t.c.id == claimed.job_id)
            .values(done=job_t.c.done + len(claimed.learners))
        )
        left = connection.execute(
            select(func.count())
            .select_from(chunk_t)
            .where(chunk_t.c.job_id == claimed.job_id, chunk_t.c.status != "done")
        ).scalar_one()
        if left == 0:
            connection.execute(
                update(job_t)
                .where(job_t.c.id == claimed.job_id, job_t.c.status == "running")
                .values(status="done", finished_at=now)
            )
    return True


def fail_chunk(engine: Engine, claimed: Claimed, error: str, *, now: datetime) -> None:
    """Record that a chunk could not be evaluated: its job fails, with the reason."""
    with write_transaction(engine) as connection:
        _lock_job(connection, claimed.job_id)
        failed = connection.execute(
            update(chunk_t)
            .where(
                chunk_t.c.job_id == claimed.job_id,
                chunk_t.c.number == claimed.number,
                chunk_t.c.claim == claimed.claim,
            )
            .values(status="failed", lease_until=None, finished_at=now)
        ).rowcount
        if failed == 1:
            connection.execute(
                update(job_t)
                .where(job_t.c.id == claimed.job_id, job_t.c.status.in_(("queued", "running")))
                .values(status="failed", error=error, finished_at=now)
            )


def _lines(policy: Policy, engine: Engine, job: Claimed) -> tuple[str, list[Read]]:
    """The chunk's CSV lines, and the reads of consenting learners' records it made."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    now = utc_now()
    reads: list[Read] = []
    with read_connection(engine) as connection:
        for learner in job.learners:
            consent = active_consent(
                connection, learner, job.institution, ConsentScope.EVALUATE, now=now
            )
            if consent is None:
                writer.writerow(safe_row([learner, "", "", "", "", NO_CONSENT]))
                continue
            reads.append(
                Read(
                    learner, job.institution, job.submitted_by, consent, ReadKind.COHORT, job.job_id
                )
            )
            sources, _ = current_sources(connection, learner)
            result = evaluate(policy, sources, job.evaluated_on, (), job.applies_on)
            body = result.body
            writer.writerow(
                safe_row(
                    [
                        learner,
                        body["recognised_credits"],
                        body["remaining_credits"],
                        " ".join(body["missing"]),
                        result.result_hash,
                        "",
                    ]
                )
            )
    return out.getvalue(), reads


def default_worker() -> str:
    """The name of the calling process in ``claimed_by``: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_pending(
    engine: Engine,
    policies: Mapping[str, Policy],
    *,
    limit: int | None = None,
    worker: str | None = None,
    now: Callable[[], datetime] = utc_now,
    lease: timedelta = LEASE,
    version: Callable[[str, str], Policy] | None = None,
) -> int:
    """Claim and evaluate chunks until none is free (or ``limit`` ran); return how many ran.

    Every process may call this at once; each chunk is evaluated into the results once. A
    job runs under the version chosen when it was queued (``version`` finds it by id and
    version), else today's version of its policy.
    """
    worker = worker or default_worker()
    ran = 0
    while limit is None or ran < limit:
        claimed = claim_chunk(engine, worker, now=now(), lease=lease)
        if claimed is None:
            break
        ran += 1
        try:
            if version is not None and claimed.policy_version is not None:
                policy = version(claimed.policy_id, claimed.policy_version)
            else:
                policy = find_policy(policies, claimed.policy_id)
            lines, reads = _lines(policy, engine, claimed)
        except Exception as exc:  # a failed job is recorded as failed, never lost silently
            fail_chunk(engine, claimed, f"{exc.__class__.__name__}: {exc}", now=now())
            continue
        finish_chunk(engine, claimed, lines, now=now(), reads=reads)
    return ran


def list_jobs(engine: Engine, institution: str, *, limit: int = 50) -> list[JobView]:
    """An institution's most recent cohort jobs, newest first."""
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(job_t)
            .where(job_t.c.institution == institution)
            .order_by(job_t.c.submitted_at.desc())
            .limit(limit)
        )
        return [_view(row) for row in rows]
