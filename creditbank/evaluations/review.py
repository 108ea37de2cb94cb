"""Transfers under review: when a source a committed transfer stood on changes.

A recognised transfer stands on the records that filled its course and on the learner's
evaluate consent for the institution. When one of those records is corrected or revoked, or
the consent is withdrawn (and no other evaluate consent for that institution remains), every
standing transfer that relied on it is put *under review* in the change's own transaction:

- a ``transfer.under_review`` entry each (the transfer and what kind of change, nothing more);
- the transcripts that disclose it are revoked, as for a superseded transfer;
- the learner is told which courses and why;
- no new transcript may include it until the institution's registrar re-commits an evaluation
  (which supersedes it) or confirms it with a reason (a ``transfer.confirmed`` entry).

:func:`review_transfers` is the one function every source change calls (through the
dependents collaborator records and consents are given: see
:class:`creditbank.transcripts.revocation.DependentTranscripts`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update

from creditbank.errors import Conflict, Forbidden, NotFound
from creditbank.evaluations.sealed_results import open_result
from creditbank.evaluations.tables import CommittedEvaluation, RecognisedTransfer
from creditbank.labels import CATALOGUE
from creditbank.learners.service import ConsentScope, has_consent
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.ledger.store import read_openings
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.records.dependents import RevokeDependents
from creditbank.records.tables import OutcomeRecord, RecordVersion

transfer_t = RecognisedTransfer.__table__  # type: ignore[attr-defined]
evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
version_t = RecordVersion.__table__  # type: ignore[attr-defined]


class ChangeKind(StrEnum):
    """What changed under a transfer."""

    RECORD_CORRECTED = "record_corrected"
    RECORD_REVOKED = "record_revoked"
    CONSENT_WITHDRAWN = "consent_withdrawn"


# How the learner and the registrar are told of each kind of change.
CHANGE_TEXTS: dict[ChangeKind, tuple[str, str]] = {
    kind: CATALOGUE["ChangeKind"][kind.value] for kind in ChangeKind
}


@dataclass(frozen=True)
class SourceChange:
    """A change to something committed transfers stand on, and the entry that recorded it."""

    kind: ChangeKind
    learner: str
    ledger_index: int
    record: str | None = None  # the record corrected or revoked
    institution: str | None = None  # whose consent was withdrawn
    reason: str | None = None  # the institution's reason for a record change

    def to_json(self) -> dict[str, Any]:
        """What the work queue shows of the change."""
        return {
            "kind": self.kind.value,
            "record": self.record,
            "institution": self.institution,
            "reason": self.reason,
            "ledger_index": self.ledger_index,
        }


def _relied_on_record(connection: Connection, learner: str, record: str) -> list[str]:
    """Standing transfers of ``learner`` whose course was filled by ``record``."""
    rows = connection.execute(
        select(
            transfer_t.c.id,
            transfer_t.c.course_code,
            transfer_t.c.evaluation,
            evaluation_t.c.result,
        )
        .join(evaluation_t, evaluation_t.c.id == transfer_t.c.evaluation)
        .where(
            transfer_t.c.learner == learner,
            transfer_t.c.superseded_by.is_(None),
            transfer_t.c.review_since.is_(None),
        )
        .order_by(transfer_t.c.ledger_index)
    ).all()
    found = []
    results: dict[str, Any] = {}
    for row in rows:
        if row.evaluation not in results:
            results[row.evaluation] = open_result(connection, learner, row.evaluation, row.result)
        body = results[row.evaluation]
        course = next((c for c in body["courses"] if c["code"] == row.course_code), None)
        if course is None:
            continue
        if any(record in item["records"] for item in course["filled_by"]):
            found.append(row.id)
    return found


def _relied_on_consent(connection: Connection, learner: str, institution: str) -> list[str]:
    return list(
        connection.execute(
            select(transfer_t.c.id)
            .where(
                transfer_t.c.learner == learner,
                transfer_t.c.institution == institution,
                transfer_t.c.superseded_by.is_(None),
                transfer_t.c.review_since.is_(None),
            )
            .order_by(transfer_t.c.ledger_index)
        ).scalars()
    )


def review_transfers(
    tx: LedgerTransaction,
    change: SourceChange,
    *,
    revoke_dependents: RevokeDependents,
    actor: str,
    now: datetime,
) -> list[str]:
    """Put every standing transfer that relied on the changed source under review.

    Runs in the change's transaction; ``revoke_dependents`` revokes the transcripts that
    disclose each transfer. Returns the ids put under review.
    """
    connection = tx.connection
    if change.kind is ChangeKind.CONSENT_WITHDRAWN:
        assert change.institution is not None
        if has_consent(
            connection, change.learner, change.institution, ConsentScope.EVALUATE, now=now
        ):
            return []  # another evaluate consent for the institution still holds
        affected = _relied_on_consent(connection, change.learner, change.institution)
    else:
        assert change.record is not None
        affected = _relied_on_record(connection, change.learner, change.record)
    if not affected:
        return []
    rows = connection.execute(
        select(transfer_t.c.id, transfer_t.c.course_code, transfer_t.c.institution)
        .where(transfer_t.c.id.in_(affected))
        .order_by(transfer_t.c.ledger_index)
        .with_for_update()
    ).all()
    result = tx.append(
        [
            NewEntry(
                EntryKind.TRANSFER_UNDER_REVIEW,
                actor,
                {"transfer": row.id, "change": change.kind.value, "cause": change.ledger_index},
            )
            for row in rows
        ],
        now=now,
    )
    described = json.dumps(change.to_json(), ensure_ascii=False, sort_keys=True)
    zh, en = CHANGE_TEXTS[change.kind]
    for row, index in zip(rows, result.indices, strict=True):
        connection.execute(
            update(transfer_t)
            .where(transfer_t.c.id == row.id)
            .values(review_change=described, review_since=now, review_index=index)
        )
        revoke_dependents(
            tx, row.id, reason=f"recognised transfer under review: {en}", actor=actor, now=now
        )
    told = {
        "courses": ", ".join(sorted(row.course_code for row in rows)),
        "why_zh": zh,
        "why_en": en,
        "reason": change.reason or "—",
    }
    key = f"transfers-under-review:{change.ledger_index}"
    notify(
        connection,
        Recipient.LEARNER,
        change.learner,
        NoticeKind.TRANSFERS_UNDER_REVIEW,
        told,
        event_key=key,
        now=now,
    )
    for institution in sorted({row.institution for row in rows}):
        notify(
            connection,
            Recipient.INSTITUTION,
            institution,
            NoticeKind.TRANSFERS_UNDER_REVIEW,
            told,
            event_key=f"{key}:{institution}",
            now=now,
        )
    return [row.id for row in rows]


def record_change(connection: Connection, record_id: str) -> SourceChange:
    """The latest change of a record (as its change's transaction sees it)."""
    row = connection.execute(
        select(record_t.c.learner, version_t.c.action, version_t.c.reason, version_t.c.ledger_index)
        .join(
            version_t,
            (version_t.c.record == record_t.c.id) & (version_t.c.version == record_t.c.version),
        )
        .where(record_t.c.id == record_id)
    ).one()
    kind = ChangeKind.RECORD_REVOKED if row.action == "revoked" else ChangeKind.RECORD_CORRECTED
    return SourceChange(kind, row.learner, row.ledger_index, record=record_id, reason=row.reason)


# --- the registrar's side -------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    """A transfer in an institution's review queue, with the change that put it there."""

    transfer: str
    evaluation: str
    learner: str
    policy_id: str
    course: Mapping[str, Any]
    credits: str
    change: Mapping[str, Any]
    since: datetime
    ledger_index: int

    def change_text(self, lang: str) -> str:
        """The kind of change, in ``lang``."""
        zh, en = CHANGE_TEXTS[ChangeKind(self.change["kind"])]
        return en if lang == "en" else zh


def review_queue(connection: Connection, institution: str) -> list[ReviewItem]:
    """The institution's transfers under review, oldest first."""
    rows = connection.execute(
        select(transfer_t)
        .where(
            transfer_t.c.institution == institution,
            transfer_t.c.superseded_by.is_(None),
            transfer_t.c.review_since.is_not(None),
        )
        .order_by(transfer_t.c.review_index)
    ).all()
    openings = read_openings(connection, [row.ledger_index for row in rows])
    return [
        ReviewItem(
            row.id,
            row.evaluation,
            row.learner,
            row.policy_id,
            json.loads(openings[row.ledger_index][1])["course"],
            row.credits,
            json.loads(row.review_change),
            row.review_since,
            row.review_index,
        )
        for row in rows
        if row.ledger_index in openings
    ]


def confirm_transfer(
    ledger: Ledger,
    transfer_id: str,
    *,
    institution: str,
    actor: str,
    reason: str,
    now: datetime,
) -> int:
    """The registrar confirms a transfer under review: it stands again. Returns the index."""
    with ledger.transaction() as tx:
        row = tx.connection.execute(
            select(transfer_t).where(transfer_t.c.id == transfer_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no transfer {transfer_id!r}")
        if row.institution != institution:
            raise Forbidden(f"transfer {transfer_id} was recognised by {row.institution}")
        if row.superseded_by is not None or row.review_since is None:
            raise Conflict(f"transfer {transfer_id} is not under review")
        index = tx.record(
            EntryKind.TRANSFER_CONFIRMED,
            actor,
            {"transfer": transfer_id, "review": row.review_index, "reason": reason},
            now=now,
        )
        tx.connection.execute(
            update(transfer_t)
            .where(transfer_t.c.id == transfer_id)
            .values(review_change=None, review_since=None, review_index=None)
        )
        notify(
            tx.connection,
            Recipient.LEARNER,
            row.learner,
            NoticeKind.TRANSFER_CONFIRMED,
            {"course": row.course_code, "institution": institution, "reason": reason},
            event_key=f"transfer-confirmed:{index}",
            now=now,
        )
    return index


def check_reviewable(connection: Connection, transfer_ids: Sequence[str]) -> list[str]:
    """Those of ``transfer_ids`` under review now."""
    if not transfer_ids:
        return []
    return list(
        connection.execute(
            select(transfer_t.c.id).where(
                transfer_t.c.id.in_(list(transfer_ids)), transfer_t.c.review_since.is_not(None)
            )
        ).scalars()
    )
