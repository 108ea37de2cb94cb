"""Closing a learner's account: by the learner, or by a registrar on a recorded legal ground.

Closing is a ``learner.closed`` entry and a date: from then on nothing more can be posted for
the account, nobody signs in to it (its sign-in tokens end at once) and its consents end (the
entry is their end); after the grace
period the erasure job destroys its data key (:mod:`creditbank.privacy.erasure`). The entry
holds the account id, who closed it, the legal ground (a fixed code, never free text) and the
date erasure is due; the registrar's own note stays in the account row and goes with the
erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, select, update

from creditbank.clock import as_utc
from creditbank.errors import AccountClosed, FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.identity.principals import BANK_ACTOR, LEARNER_ACTOR
from creditbank.learners.service import (
    ConsentScope,
    consent_t,
    has_consent,
    learner_t,
    token_t,
)
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger

MAX_NOTE = 500


class ClosureGround(StrEnum):
    """Why an account is closed: the learner's request, or a ground of PIPL article 47."""

    LEARNER_REQUEST = "learner_request"  # 个人撤回同意 / 要求删除 (art. 47(1)(3))
    PURPOSE_ACHIEVED = "purpose_achieved"  # 处理目的已实现、无法实现或不再必要 (art. 47(1)(1))
    SERVICE_ENDED = "service_ended"  # 停止提供服务或保存期限已届满 (art. 47(1)(2))
    UNLAWFUL_PROCESSING = "unlawful_processing"  # 违反法律、行政法规或约定处理 (art. 47(1)(4))
    OTHER_LEGAL = "other_legal"  # 法律、行政法规规定的其他情形 (art. 47(1)(5))
    RETENTION_EXPIRED = "retention_expired"  # the bank's retention rule for unused accounts


REGISTRAR_GROUNDS = tuple(
    g
    for g in ClosureGround
    if g not in (ClosureGround.LEARNER_REQUEST, ClosureGround.RETENTION_EXPIRED)
)


@dataclass(frozen=True)
class Closure:
    """A closed account: when, by whom, on what ground, and when its data is erased."""

    learner_id: str
    closed_at: datetime
    closed_by: str
    ground: ClosureGround
    erase_after: datetime
    ledger_index: int
    erased_at: datetime | None = None


def _row(connection: Connection, learner_id: str) -> object:
    row = connection.execute(select(learner_t).where(learner_t.c.id == learner_id)).first()
    if row is None or row.merged_into is not None:
        raise NotFound(f"no learner account {learner_id!r}")
    return row


def closure_of(connection: Connection, learner_id: str) -> Closure | None:
    """The account's closure, or None while it is open."""
    row = connection.execute(select(learner_t).where(learner_t.c.id == learner_id)).first()
    if row is None or row.closed_at is None:
        return None
    return Closure(
        row.id,
        as_utc(row.closed_at),
        row.closed_by,
        ClosureGround(row.closure_ground.partition(":")[0]),
        as_utc(row.erase_after),
        row.closed_index,
        None if row.erased_at is None else as_utc(row.erased_at),
    )


def has_standing(
    connection: Connection, learner_id: str, institution: str, *, now: datetime
) -> bool:
    """Whether ``institution`` opened (or closed) the account or holds the learner's consent."""
    row = connection.execute(
        select(learner_t.c.opened_by, learner_t.c.closed_by).where(learner_t.c.id == learner_id)
    ).first()
    if row is None:
        raise NotFound(f"no learner account {learner_id!r}")
    if institution in (row.opened_by, str(row.closed_by).removeprefix("institution:")):
        return True
    return has_consent(connection, learner_id, institution, ConsentScope.READ, now=now)


def close_account(
    ledger: Ledger,
    learner_id: str,
    *,
    actor: str,
    ground: ClosureGround,
    grace: timedelta,
    now: datetime,
    institution: str | None = None,
    note: str | None = None,
) -> Closure:
    """Close ``learner_id``; erasure becomes due ``grace`` later.

    ``institution`` is the registrar's (None when the learner closes their own account); it
    must have opened the account or hold the learner's consent, and give a legal ground.
    """
    by_bank = actor == BANK_ACTOR
    if by_bank and (institution is not None or ground is not ClosureGround.RETENTION_EXPIRED):
        raise InvalidInput("the bank closes an account only by its retention rule")
    if not by_bank and institution is None and ground is not ClosureGround.LEARNER_REQUEST:
        raise InvalidInput("a learner closes their own account at their own request")
    if institution is not None and ground not in REGISTRAR_GROUNDS:
        raise InvalidInput(
            "a registrar closes an account on a legal ground",
            problems=[FieldProblem("ground", "must be one of " + ", ".join(REGISTRAR_GROUNDS))],
        )
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(
            f"note: at most {MAX_NOTE} characters",
            problems=[FieldProblem("note", f"at most {MAX_NOTE} characters")],
        )
    erase_after = now + grace
    with ledger.transaction() as tx:
        tx.hold()
        row = _row(tx.connection, learner_id)
        if row.closed_at is not None:  # type: ignore[attr-defined]
            raise AccountClosed(f"learner account {learner_id!r} is already closed")
        if institution is not None and not has_standing(
            tx.connection, learner_id, institution, now=now
        ):
            raise Forbidden(
                "only an institution that opened the account or holds the learner's consent "
                "may close it"
            )
        closed_by = (
            BANK_ACTOR
            if by_bank
            else LEARNER_ACTOR
            if institution is None
            else f"institution:{institution}"
        )
        index = tx.record(
            EntryKind.LEARNER_CLOSED,
            actor,
            {
                "account": learner_id,
                "closed_by": closed_by,
                "ground": ground.value,
                "erase_after": erase_after.date().isoformat(),
            },
            now=now,
        )
        tx.connection.execute(
            update(learner_t)
            .where(learner_t.c.id == learner_id)
            .values(
                closed_at=now,
                closed_by=closed_by,
                closure_ground=ground.value if not note else f"{ground.value}:{note}",
                closed_index=index,
                erase_after=erase_after,
            )
        )
        # No institution reads or evaluates the account any more: its consents end with it.
        tx.connection.execute(
            update(consent_t)
            .where(consent_t.c.learner == learner_id, consent_t.c.withdrawn_at.is_(None))
            .values(withdrawn_at=now, withdrawn_index=index)
        )
        # Nobody acts as the learner any more: every sign-in ends now.
        tx.connection.execute(
            update(token_t)
            .where(token_t.c.learner == learner_id, token_t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return Closure(learner_id, now, closed_by, ground, erase_after, index)
