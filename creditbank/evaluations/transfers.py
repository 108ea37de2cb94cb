"""Recognised transfers: each course a committed evaluation recognised, as its own log entry.

An ``evaluation.committed`` entry lists every record version it read, so it cannot be shown to
an employer without showing all of them. Each course the evaluation recognised therefore gets a
``transfer.recognised`` entry of its own whose payload says only what was recognised (the
course, the credits, the programme and the policy version, on what basis and from how many
outcomes): a transcript discloses that payload and nothing about the records behind it.

A later committed evaluation of the same learner under the same policy supersedes the earlier
one's transfers (a ``transfer.superseded`` entry each), and transcripts holding them are revoked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from creditbank.evaluations.tables import RecognisedTransfer
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import LedgerTransaction
from creditbank.ledger.store import read_openings
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.records.dependents import RevokeDependents
from creditbank.rules.evaluate import Evaluation
from creditbank.rules.policy import Policy

transfer_t = RecognisedTransfer.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RecognisedCourse:
    """One course of the target programme an evaluation recognised credits for."""

    code: str
    title_zh: str
    title_en: str
    credits: str  # the course's credits in the programme
    category: str
    recognised_credits: str
    basis: str  # recognised, forced, waived or catch_all: the reason's code
    rules: tuple[str, ...]
    sources: int  # how many outcomes filled it (never which)


def recognised_courses(evaluation: Evaluation) -> list[RecognisedCourse]:
    """The courses of an evaluation's result with credits recognised, in programme order."""
    found = []
    for course in evaluation.body["courses"]:
        if Decimal(course["recognised_credits"]) <= 0:
            continue
        filled = course["filled_by"]
        found.append(
            RecognisedCourse(
                code=course["code"],
                title_zh=course["title_zh"],
                title_en=course["title_en"],
                credits=course["credits"],
                category=course["category"],
                recognised_credits=course["recognised_credits"],
                basis=course["reasons"][0]["code"],
                rules=tuple(dict.fromkeys(item["rule"] for item in filled)),
                sources=sum(len(item["records"]) for item in filled),
            )
        )
    return found


def transfer_payload(
    transfer_id: str,
    *,
    evaluation_id: str,
    learner_id: str,
    institution: str,
    policy: Policy,
    on: date,
    course: RecognisedCourse,
) -> dict[str, Any]:
    """The committed payload of one recognised transfer (what a transcript discloses)."""
    programme = policy.programme
    return {
        "transfer": transfer_id,
        "evaluation": evaluation_id,
        "learner": learner_id,
        "institution": institution,
        "programme": {
            "code": programme.code,
            "title_zh": programme.title_zh,
            "title_en": programme.title_en,
            "level": policy.target_level.value,
        },
        "pathway": policy.pathway,
        "policy": {"id": policy.id, "version": policy.version, "hash": policy.content_hash},
        "on": on.isoformat(),
        "course": {
            "code": course.code,
            "title_zh": course.title_zh,
            "title_en": course.title_en,
            "credits": course.credits,
            "category": course.category,
        },
        "recognised_credits": course.recognised_credits,
        "basis": course.basis,
        "rules": list(course.rules),
        "sources": course.sources,
    }


@dataclass(frozen=True)
class PlannedTransfers:
    """The transfer entries of one commit, before their indices are known."""

    ids: tuple[str, ...]
    courses: tuple[RecognisedCourse, ...]
    entries: tuple[NewEntry, ...]


def plan_transfers(
    *,
    evaluation_id: str,
    evaluation: Evaluation,
    learner_id: str,
    institution: str,
    policy: Policy,
    on: date,
    actor: str,
) -> PlannedTransfers:
    """One ``transfer.recognised`` entry per recognised course."""
    courses = tuple(recognised_courses(evaluation))
    ids = tuple(str(uuid.uuid4()) for _ in courses)
    entries = tuple(
        NewEntry(
            EntryKind.TRANSFER_RECOGNISED,
            actor,
            transfer_payload(
                transfer_id,
                evaluation_id=evaluation_id,
                learner_id=learner_id,
                institution=institution,
                policy=policy,
                on=on,
                course=course,
            ),
        )
        for transfer_id, course in zip(ids, courses, strict=True)
    )
    return PlannedTransfers(ids, courses, entries)


def store_transfers(
    connection: Connection,
    planned: PlannedTransfers,
    indices: Sequence[int],
    *,
    evaluation_id: str,
    learner_id: str,
    institution: str,
    policy_id: str,
) -> None:
    """The rows of the planned transfers, at the ledger indices they were given."""
    if not planned.ids:
        return
    connection.execute(
        insert(transfer_t),
        [
            {
                "id": transfer_id,
                "evaluation": evaluation_id,
                "learner": learner_id,
                "institution": institution,
                "policy_id": policy_id,
                "course_code": course.code,
                "credits": course.recognised_credits,
                "ledger_index": index,
                "superseded_by": None,
            }
            for transfer_id, course, index in zip(
                planned.ids, planned.courses, indices, strict=True
            )
        ],
    )


def supersede_transfers(
    tx: LedgerTransaction,
    *,
    learner_id: str,
    policy_id: str,
    by_evaluation: str,
    actor: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> list[str]:
    """Supersede the learner's standing transfers under ``policy_id``; return their ids.

    Each gets a ``transfer.superseded`` entry, and ``revoke_dependents`` revokes what holds
    one (every transcript) in the same transaction.
    """
    standing = list(
        tx.connection.execute(
            select(transfer_t.c.id)
            .where(
                transfer_t.c.learner == learner_id,
                transfer_t.c.policy_id == policy_id,
                transfer_t.c.superseded_by.is_(None),
            )
            .order_by(transfer_t.c.ledger_index)
            .with_for_update()
        ).scalars()
    )
    if not standing:
        return []
    tx.append(
        [
            NewEntry(
                EntryKind.TRANSFER_SUPERSEDED,
                actor,
                {"transfer": transfer_id, "by_evaluation": by_evaluation},
            )
            for transfer_id in standing
        ],
        now=now,
    )
    tx.connection.execute(
        update(transfer_t).where(transfer_t.c.id.in_(standing)).values(superseded_by=by_evaluation)
    )
    for transfer_id in standing:
        revoke_dependents(
            tx,
            transfer_id,
            reason=f"recognised transfer superseded by evaluation {by_evaluation}",
            actor=actor,
            now=now,
        )
    courses = tx.connection.execute(
        select(transfer_t.c.course_code).where(transfer_t.c.id.in_(standing))
    ).scalars()
    notify(
        tx.connection,
        Recipient.LEARNER,
        learner_id,
        NoticeKind.TRANSFERS_SUPERSEDED,
        {"policy": policy_id, "evaluation": by_evaluation, "courses": ", ".join(sorted(courses))},
        event_key=f"transfers-superseded:{by_evaluation}",
        now=now,
    )
    return standing


def transfer_ids(connection: Connection, evaluation_id: str) -> list[str]:
    """The ids of an evaluation's recognised transfers, in ledger order."""
    return list(
        connection.execute(
            select(transfer_t.c.id)
            .where(transfer_t.c.evaluation == evaluation_id)
            .order_by(transfer_t.c.ledger_index)
        ).scalars()
    )


@dataclass(frozen=True)
class TransferView:
    """A recognised transfer as the learner's account shows it."""

    id: str
    evaluation: str
    institution: str
    payload: Mapping[str, Any]
    ledger_index: int
    superseded_by: str | None
    review: Mapping[str, Any] | None = None  # what changed under it, while under review

    @property
    def standing(self) -> bool:
        """True while no later evaluation superseded it and it is not under review."""
        return self.superseded_by is None and self.review is None

    @property
    def under_review(self) -> bool:
        """True while a source it stood on changed and no registrar has decided yet."""
        return self.superseded_by is None and self.review is not None

    @property
    def status(self) -> str:
        """standing, under_review or superseded."""
        if self.superseded_by is not None:
            return "superseded"
        return "under_review" if self.review is not None else "standing"

    @property
    def course_code(self) -> str:
        """The recognised course's code."""
        return str(self.payload["course"]["code"])

    @property
    def credits(self) -> Decimal:
        """The credits recognised."""
        return Decimal(self.payload["recognised_credits"])


def learner_transfers(
    connection: Connection, learner_id: str, *, standing_only: bool = False
) -> list[TransferView]:
    """The learner's transfers in ledger order, with their committed payloads.

    ``standing_only`` leaves out superseded transfers and those under review. A transfer whose
    opening was erased (the learner's personal data deleted) is left out.
    """
    query = select(transfer_t).where(transfer_t.c.learner == learner_id)
    if standing_only:
        query = query.where(
            transfer_t.c.superseded_by.is_(None), transfer_t.c.review_since.is_(None)
        )
    rows = connection.execute(query.order_by(transfer_t.c.ledger_index)).all()
    openings = read_openings(connection, [row.ledger_index for row in rows])
    return [
        TransferView(
            row.id,
            row.evaluation,
            row.institution,
            json.loads(openings[row.ledger_index][1]),
            row.ledger_index,
            row.superseded_by,
            None if row.review_change is None else json.loads(row.review_change),
        )
        for row in rows
        if row.ledger_index in openings
    ]
