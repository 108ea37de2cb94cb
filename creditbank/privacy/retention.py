"""The retention job: delete each kind of data once it is older than its configured period.

For every kind that had something to delete, one ``retention.applied`` entry says what: the
kind, the cut-off date, the period and how many rows (never whose). Closed accounts are not
deleted here but erased by the erasure job after the grace period; accounts an institution
opened and nobody ever activated are closed here (ground ``retention_expired``), so that they
too are erased after the grace period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, and_, delete, or_, select

from creditbank.identity.principals import BANK_ACTOR
from creditbank.learners.service import learner_t, token_t
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger
from creditbank.notices.tables import Notice, OutboxMessage
from creditbank.privacy.closure import ClosureGround, close_account
from creditbank.privacy.settings import RetentionKind, RetentionSettings
from creditbank.storage.database import read_connection

notice_t = Notice.__table__  # type: ignore[attr-defined]
outbox_t = OutboxMessage.__table__  # type: ignore[attr-defined]


def _old_notices(connection: Connection, before: datetime) -> int:
    old = select(notice_t.c.id).where(notice_t.c.created_at < before)
    connection.execute(delete(outbox_t).where(outbox_t.c.notice.in_(old)))
    return int(connection.execute(delete(notice_t).where(notice_t.c.created_at < before)).rowcount)


def _old_tokens(connection: Connection, before: datetime) -> int:
    return int(
        connection.execute(
            delete(token_t).where(
                or_(
                    token_t.c.expires_at < before,
                    and_(token_t.c.revoked_at.is_not(None), token_t.c.revoked_at < before),
                )
            )
        ).rowcount
    )


_DELETERS: dict[RetentionKind, Callable[[Connection, datetime], int]] = {
    RetentionKind.NOTICE: _old_notices,
    RetentionKind.LEARNER_TOKEN: _old_tokens,
}


def _unactivated(ledger: Ledger, before: datetime) -> list[str]:
    with read_connection(ledger.engine) as connection:
        return list(
            connection.execute(
                select(learner_t.c.id).where(
                    learner_t.c.password_hash.is_(None),
                    learner_t.c.activation_hash.is_not(None),
                    learner_t.c.closed_at.is_(None),
                    learner_t.c.merged_into.is_(None),
                    learner_t.c.opened_at < before,
                )
            ).scalars()
        )


def apply_retention(ledger: Ledger, settings: RetentionSettings, *, now: datetime) -> str | None:
    """Apply every retention period; log one entry per kind that deleted anything."""
    done: list[str] = []
    for kind, deleter in _DELETERS.items():
        period = settings.period(kind)
        before = now - period
        with ledger.transaction() as tx:
            count = deleter(tx.connection, before)
            if count:
                tx.record(
                    EntryKind.RETENTION_APPLIED,
                    BANK_ACTOR,
                    {
                        "kind": kind.value,
                        "before": before.date().isoformat(),
                        "days": period.days,
                        "count": count,
                    },
                    now=now,
                )
        if count:
            done.append(f"{count} {kind.value}")
    period = settings.period(RetentionKind.UNACTIVATED_ACCOUNT)
    stale = _unactivated(ledger, now - period)
    for learner_id in stale:
        close_account(
            ledger,
            learner_id,
            actor=BANK_ACTOR,
            ground=ClosureGround.RETENTION_EXPIRED,
            grace=settings.grace,
            now=now,
            institution=None,
        )
    if stale:
        with ledger.transaction() as tx:
            tx.record(
                EntryKind.RETENTION_APPLIED,
                BANK_ACTOR,
                {
                    "kind": RetentionKind.UNACTIVATED_ACCOUNT.value,
                    "before": (now - period).date().isoformat(),
                    "days": period.days,
                    "count": len(stale),
                    "action": "closed",
                },
                now=now,
            )
        done.append(f"{len(stale)} {RetentionKind.UNACTIVATED_ACCOUNT.value} closed")
    return ("retention: " + ", ".join(done)) if done else None
