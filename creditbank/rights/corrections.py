"""Asking for a correction (更正): a learner flags a record, its poster answers.

A learner asks that one of their records be corrected, saying why; the institution that posted
it sees the open request in its workspace and answers by correcting the record, revoking it, or
declining, with a reason. A correction and a revocation go through the records' own change
step (:func:`creditbank.records.service.change_record`) in the same transaction as the answer.
The request and the answer are log entries whose payloads carry the SHA-256 of each free-text
reason, never the words: those stay in ``correction_request``. The institution is told of a
request and the learner of the answer through :mod:`creditbank.notices`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from creditbank.clock import as_utc
from creditbank.errors import Conflict, FieldProblem, InvalidInput, NotFound
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.records.dependents import RevokeDependents
from creditbank.records.outcomes import Outcome
from creditbank.records.service import Action, RecordStatus, change_record
from creditbank.records.tables import OutcomeRecord
from creditbank.rights.tables import CorrectionRequest
from creditbank.text import REASON

request_t = CorrectionRequest.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]


class CorrectionStatus(StrEnum):
    """Where a request stands: open until its institution answers."""

    OPEN = "open"
    CORRECTED = "corrected"
    REVOKED = "revoked"
    DECLINED = "declined"


ANSWERS = (CorrectionStatus.CORRECTED, CorrectionStatus.REVOKED, CorrectionStatus.DECLINED)
_DECISION_WORDS = {
    CorrectionStatus.CORRECTED: ("已更正记录", "the record was corrected"),
    CorrectionStatus.REVOKED: ("已撤销记录", "the record was revoked"),
    CorrectionStatus.DECLINED: ("不予更正", "declined"),
}


@dataclass(frozen=True)
class CorrectionView:
    """A request with its answer (once answered)."""

    id: str
    learner: str
    record: str
    institution: str
    record_version: int
    reason: str
    status: CorrectionStatus
    requested_at: datetime
    requested_index: int
    answered_at: datetime | None
    answer_reason: str | None
    answered_index: int | None
    record_index: int | None


def reason_digest(text: str) -> str:
    """The SHA-256 (hex) of a reason's UTF-8 bytes: what the log entry carries instead of it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_reason(text: str, field: str = "reason") -> str:
    problem = REASON.problem(text)
    if problem is not None:
        raise InvalidInput(f"{field}: {problem}", problems=[FieldProblem(field, problem)])
    return text


def _view(row: Any) -> CorrectionView:
    return CorrectionView(
        row.id,
        row.learner,
        row.record,
        row.institution,
        row.record_version,
        row.reason,
        CorrectionStatus(row.status),
        as_utc(row.requested_at),
        row.requested_index,
        None if row.answered_at is None else as_utc(row.answered_at),
        row.answer_reason,
        row.answered_index,
        row.record_index,
    )


def request_correction(
    ledger: Ledger, learner_id: str, record_id: str, reason: str, *, now: datetime
) -> CorrectionView:
    """The learner asks that their record ``record_id`` be corrected, saying why.

    404 when the record is not the learner's (the same answer as for no record); 409 when it
    is revoked or already has an open request.
    """
    reason = _clean_reason(reason)
    request_id = str(uuid.uuid4())
    with ledger.transaction() as tx:
        # Locked, so two requests for one record are made one after the other.
        record = tx.connection.execute(
            select(record_t).where(record_t.c.id == record_id).with_for_update()
        ).first()
        if record is None or record.learner != learner_id:
            raise NotFound(f"no record {record_id!r} of this learner")
        if record.status == RecordStatus.REVOKED:
            raise Conflict(f"record {record_id} is revoked; there is nothing left to correct")
        pending = tx.connection.execute(
            select(request_t.c.id).where(
                request_t.c.record == record_id, request_t.c.status == CorrectionStatus.OPEN
            )
        ).first()
        if pending is not None:
            raise Conflict(
                f"record {record_id} already has an open correction request ({pending.id}); "
                "wait for its answer"
            )
        index = tx.record(
            EntryKind.CORRECTION_REQUESTED,
            LEARNER_ACTOR,
            {
                "request": request_id,
                "learner": learner_id,
                "record": record_id,
                "record_version": record.version,
                "institution": record.institution,
                "reason_sha256": reason_digest(reason),
            },
            now=now,
        )
        tx.connection.execute(
            insert(request_t).values(
                id=request_id,
                learner=learner_id,
                record=record_id,
                institution=record.institution,
                record_version=record.version,
                reason=reason,
                status=CorrectionStatus.OPEN.value,
                requested_at=now,
                requested_index=index,
            )
        )
        notify(
            tx.connection,
            Recipient.INSTITUTION,
            record.institution,
            NoticeKind.CORRECTION_REQUESTED,
            {"record": record_id, "request": request_id},
            event_key=f"correction-requested:{request_id}",
            now=now,
        )
        row = tx.connection.execute(select(request_t).where(request_t.c.id == request_id)).one()
    return _view(row)


@dataclass(frozen=True)
class Answer:
    """An institution's answer: the decision, why, and the corrected outcome when correcting."""

    decision: CorrectionStatus
    reason: str
    outcome: Outcome | None = None


def answer_correction(
    ledger: Ledger,
    request_id: str,
    answer: Answer,
    *,
    institution: str,
    actor: str,
    by: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> CorrectionView:
    """The posting institution answers an open request: correct, revoke or decline.

    ``by`` is the key that answered; ``revoke_dependents`` revokes the transcripts that showed
    a corrected or revoked record, as any change of a record does.
    """
    if answer.decision not in ANSWERS:
        raise InvalidInput(
            "decision must be corrected, revoked or declined",
            problems=[FieldProblem("decision", "corrected, revoked or declined")],
        )
    if (answer.decision is CorrectionStatus.CORRECTED) != (answer.outcome is not None):
        reason = "is required to correct, and only then"
        raise InvalidInput(f"outcome: {reason}", problems=[FieldProblem("outcome", reason)])
    reason = _clean_reason(answer.reason)
    with ledger.transaction() as tx:
        row = tx.connection.execute(
            select(request_t).where(request_t.c.id == request_id).with_for_update()
        ).first()
        if row is None or row.institution != institution:
            raise NotFound(f"no correction request {request_id!r} for {institution}")
        if row.status != CorrectionStatus.OPEN:
            raise Conflict(f"correction request {request_id} was answered already ({row.status})")
        record_index = None
        if answer.decision is not CorrectionStatus.DECLINED:
            changed = change_record(
                tx,
                row.record,
                institution=institution,
                action=Action.CORRECTED
                if answer.decision is CorrectionStatus.CORRECTED
                else Action.REVOKED,
                outcome=answer.outcome,
                reason=reason,
                now=now,
                revoke_dependents=revoke_dependents,
            )
            record_index = changed.current.ledger_index
        index = tx.record(
            EntryKind.CORRECTION_ANSWERED,
            actor,
            {
                "request": request_id,
                "learner": row.learner,
                "record": row.record,
                "institution": institution,
                "decision": answer.decision.value,
                "record_index": record_index,
                "reason_sha256": reason_digest(reason),
            },
            now=now,
        )
        tx.connection.execute(
            update(request_t)
            .where(request_t.c.id == request_id)
            .values(
                status=answer.decision.value,
                answered_at=now,
                answered_by=by,
                answer_reason=reason,
                answered_index=index,
                record_index=record_index,
            )
        )
        zh, en = _DECISION_WORDS[answer.decision]
        notify(
            tx.connection,
            Recipient.LEARNER,
            row.learner,
            NoticeKind.CORRECTION_ANSWERED,
            {
                "institution": institution,
                "record": row.record,
                "decision": answer.decision.value,
                "decision_zh": zh,
                "decision_en": en,
                "reason": reason,
            },
            event_key=f"correction-answered:{request_id}",
            now=now,
        )
        updated = tx.connection.execute(select(request_t).where(request_t.c.id == request_id)).one()
    return _view(updated)


def learner_requests(connection: Connection, learner_id: str) -> list[CorrectionView]:
    """A learner's correction requests, newest first."""
    rows = connection.execute(
        select(request_t)
        .where(request_t.c.learner == learner_id)
        .order_by(request_t.c.requested_index.desc())
    )
    return [_view(row) for row in rows]


def institution_requests(
    connection: Connection, institution: str, *, status: CorrectionStatus | None = None
) -> list[CorrectionView]:
    """The requests about an institution's records (of one ``status``), oldest first."""
    query = select(request_t).where(request_t.c.institution == institution)
    if status is not None:
        query = query.where(request_t.c.status == status.value)
    rows = connection.execute(query.order_by(request_t.c.requested_index))
    return [_view(row) for row in rows]


def read_request(connection: Connection, request_id: str) -> CorrectionView:
    """One request, or 404."""
    row = connection.execute(select(request_t).where(request_t.c.id == request_id)).first()
    if row is None:
        raise NotFound(f"no correction request {request_id!r}")
    return _view(row)
