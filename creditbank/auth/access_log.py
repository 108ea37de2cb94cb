"""Who looked at a learner's data: institutions' reads under the learner's consent.

Every consent check that lets an institution read a learner's data notes the read here
(:func:`note_read`): the authorisation step itself, so no view can forget it. Reads are GETs
(or what-ifs that record nothing), so a note waits in the request's list and is written in one
short transaction after the answer was made (:func:`flush`), and only when the read succeeded;
a job that reads in the background writes its notes with :func:`record_reads`, in the
transaction that stores what it read. Outside a request nothing collects notes and
:func:`note_read` writes nothing: a caller outside the HTTP edges records its reads itself.

The rows name institutions, keys and consents, never the learner's personal data; they are
the learner's to see (in the portal and in the copy of their data), not ledger entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from creditbank.auth.tables import LearnerAccess
from creditbank.clock import as_utc
from creditbank.storage.database import write_transaction

access_t = LearnerAccess.__table__  # type: ignore[attr-defined]


class ReadKind(StrEnum):
    """What an institution read."""

    ACCOUNT = "account"  # the account: name, masked document
    RECORDS = "records"  # the list of the learner's records
    RECORD = "record"  # one record (its id is the resource)
    TRANSFERS = "transfers"  # the learner's recognised transfers
    WHAT_IF = "evaluation-what-if"  # an evaluation run that recorded nothing (policy id)
    EVALUATION = "evaluation"  # an evaluation run to be committed (policy id)
    COHORT = "cohort-evaluation"  # a cohort job evaluated the learner (job id)


@dataclass(frozen=True)
class Read:
    """One read: who (institution, key), under which consent, what (kind, resource id)."""

    learner: str
    institution: str
    principal: str
    consent: str
    kind: ReadKind
    resource: str


@dataclass(frozen=True)
class AccessView:
    """A read as the learner sees it."""

    at: datetime
    institution: str
    principal: str
    consent: str
    kind: str
    resource: str


_pending: ContextVar[list[Read] | None] = ContextVar("creditbank_pending_reads", default=None)


def begin() -> None:
    """Start collecting the reads of one request."""
    _pending.set([])


def note_read(read: Read) -> None:
    """Note a consented read, to be written after the request answered (see :func:`flush`)."""
    pending = _pending.get()
    if pending is not None:
        pending.append(read)


def discard() -> None:
    """Drop the notes of a request whose read did not happen (it failed)."""
    _pending.set(None)


def flush(engine: Engine, *, now: datetime) -> int:
    """Write the request's noted reads in one short transaction; return how many."""
    pending = _pending.get()
    _pending.set(None)
    if not pending:
        return 0
    with write_transaction(engine) as connection:
        record_reads(connection, pending, at=now)
    return len(pending)


def record_reads(connection: Connection, reads: Sequence[Read], *, at: datetime) -> None:
    """Write ``reads`` in the caller's transaction (the single writer of the access log)."""
    if not reads:
        return
    rows: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            "learner": read.learner,
            "institution": read.institution,
            "principal": read.principal,
            "consent": read.consent,
            "kind": read.kind.value,
            "resource": read.resource,
            "at": at,
        }
        for read in reads
    ]
    connection.execute(insert(access_t), rows)


def learner_reads(
    connection: Connection, learner_id: str, *, limit: int | None = None
) -> list[AccessView]:
    """The reads of a learner's data, newest first (all of them unless ``limit``)."""
    query = (
        select(access_t)
        .where(access_t.c.learner == learner_id)
        .order_by(access_t.c.at.desc(), access_t.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        AccessView(
            as_utc(row.at), row.institution, row.principal, row.consent, row.kind, row.resource
        )
        for row in connection.execute(query)
    ]
