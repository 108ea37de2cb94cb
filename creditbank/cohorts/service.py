"""Submitting, running and reading cohort evaluations.

A cohort is a list of learners evaluated against one policy on one date, as what-if
evaluations (nothing enters the log; a registrar commits the ones they approve). Consent is
checked when the cohort is queued and again for each learner when they are evaluated: a
learner who withdrew it meanwhile is skipped, with the reason in the ``skipped`` column.
Jobs wait in ``cohort_job``; :func:`run_pending` claims one with a conditional UPDATE (so
two processes never run the same job) and evaluates it in chunks, saving progress after each
chunk.
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
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from creditbank.auth.access_log import Read, ReadKind, record_reads
from creditbank.clock import utc_now
from creditbank.cohorts import MAX_LEARNERS
from creditbank.cohorts.tables import CohortJob
from creditbank.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.evaluations.service import current_sources, find_policy
from creditbank.learners.service import ConsentScope, active_consent, consenting_learners
from creditbank.rules.evaluate import evaluate
from creditbank.rules.policy import Policy
from creditbank.spreadsheet import safe_row
from creditbank.storage.database import read_connection, write_transaction

job_t = CohortJob.__table__  # type: ignore[attr-defined]

CHUNK = 50
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
    job_id = str(uuid.uuid4())
    with write_transaction(engine) as connection:
        connection.execute(
            insert(job_t).values(
                id=job_id,
                institution=institution,
                submitted_by=submitted_by,
                policy_id=policy.id,
                policy_version=policy.version,
                applies_on=applies_on,
                evaluated_on=on,
                learners=json.dumps(chosen),
                status="queued",
                total=len(chosen),
                done=0,
                results="",
                submitted_at=now,
            )
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
    """The results so far, as CSV with a header."""
    row = read_job(engine, job_id, institution)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(safe_row(HEADER))
    return out.getvalue() + str(row.results)


def _claim(engine: Engine, worker: str) -> Any:
    with read_connection(engine) as connection:
        queued = connection.execute(
            select(job_t.c.id).where(job_t.c.status == "queued").order_by(job_t.c.submitted_at)
        ).first()
    if queued is None:
        return None
    with write_transaction(engine) as connection:
        claimed = connection.execute(
            update(job_t)
            .where(job_t.c.id == queued.id, job_t.c.status == "queued")
            .values(status="running", claimed_by=worker)
        ).rowcount
        if claimed != 1:
            return None  # another process took it first
        return connection.execute(select(job_t).where(job_t.c.id == queued.id)).one()


def _lines(
    policy: Policy, engine: Engine, job: Any, learners: Sequence[str]
) -> tuple[str, list[Read]]:
    """The chunk's CSV lines, and the reads of consenting learners' records it made."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    now = utc_now()
    reads: list[Read] = []
    with read_connection(engine) as connection:
        for learner in learners:
            consent = active_consent(
                connection, learner, job.institution, ConsentScope.EVALUATE, now=now
            )
            if consent is None:
                writer.writerow(safe_row([learner, "", "", "", "", NO_CONSENT]))
                continue
            reads.append(
                Read(learner, job.institution, job.submitted_by, consent, ReadKind.COHORT, job.id)
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


def run_pending(
    engine: Engine,
    policies: Mapping[str, Policy],
    *,
    limit: int = 1,
    version: Callable[[str, str], Policy] | None = None,
) -> int:
    """Run up to ``limit`` queued jobs to the end; return how many ran.

    Each job runs under the version chosen when it was queued (``version`` finds it by id
    and version), else today's version of its policy.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    ran = 0
    while ran < limit:
        job = _claim(engine, worker)
        if job is None:
            break
        ran += 1
        learners = json.loads(job.learners)
        try:
            if version is not None and job.policy_version is not None:
                policy = version(job.policy_id, job.policy_version)
            else:
                policy = find_policy(policies, job.policy_id)
            for start in range(0, len(learners), CHUNK):
                chunk = learners[start : start + CHUNK]
                lines, reads = _lines(policy, engine, job, chunk)
                with write_transaction(engine) as connection:
                    # The learners' access log, in the transaction that keeps what was read.
                    record_reads(connection, reads, at=utc_now())
                    connection.execute(
                        update(job_t)
                        .where(job_t.c.id == job.id)
                        .values(
                            results=job_t.c.results + lines,
                            done=job_t.c.done + min(CHUNK, len(learners) - start),
                        )
                    )
            status, error = "done", None
        except Exception as exc:  # a failed job is recorded as failed, never lost silently
            status, error = "failed", f"{exc.__class__.__name__}: {exc}"
        with write_transaction(engine) as connection:
            connection.execute(
                update(job_t)
                .where(job_t.c.id == job.id)
                .values(status=status, error=error, finished_at=utc_now())
            )
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
