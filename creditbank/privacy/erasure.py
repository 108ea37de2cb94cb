"""Erasing a closed account once its grace period is over: crypto-shredding.

In one transaction: every transcript of the learner still in force is revoked (category
``learner_data_erased``, so verifiers are told why); every sealed opening of an entry about
the learner is recorded erased and deleted; the learner's data key is destroyed; their sealed
name, document, e-mail address, password and activation code, and their notices and sign-in
tokens, are deleted; and a ``learner.erased`` entry records it (the account id, the date and
how many openings, nothing personal). The log's entries, tree and checkpoints are not touched.

Whatever else still holds the learner's data (record contents, kept transcripts, the rows in
every backup taken before) is sealed under the destroyed key and opens for no one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, select, text, update

from creditbank.auth.tables import LearnerAccess
from creditbank.errors import NotFound
from creditbank.evaluations.tables import Application
from creditbank.identity.principals import BANK_ACTOR
from creditbank.learners.data_keys import DataKeys
from creditbank.learners.service import learner_t, token_t
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.erasure import erase_learner_openings
from creditbank.ledger.service import Ledger
from creditbank.notices.tables import Notice, OutboxMessage
from creditbank.rights.tables import CorrectionRequest
from creditbank.storage.database import is_sqlite, read_connection
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.revocation import revoke_transcripts
from creditbank.transcripts.tables import Transcript
from creditbank.transcripts.verdict import RevocationCategory

log = logging.getLogger(__name__)
notice_t = Notice.__table__  # type: ignore[attr-defined]
access_t = LearnerAccess.__table__  # type: ignore[attr-defined]
correction_t = CorrectionRequest.__table__  # type: ignore[attr-defined]
application_t = Application.__table__  # type: ignore[attr-defined]
outbox_t = OutboxMessage.__table__  # type: ignore[attr-defined]
transcript_t = Transcript.__table__  # type: ignore[attr-defined]
ERASURE_REASON = "learner.erased"
REVOCATION_REASON = "the learner's data was erased"


@dataclass(frozen=True)
class Erased:
    """One erasure: whose, when, its log entry, and how much it covered."""

    learner_id: str
    erased_at: datetime
    ledger_index: int
    openings: int
    transcripts_revoked: int


def erase_learner(
    ledger: Ledger,
    keys: DataKeys,
    identity: IssuerIdentity,
    learner_id: str,
    *,
    now: datetime,
    forget_files: Callable[[list[str]], None] | None = None,
) -> Erased:
    """Erase a closed account's personal data now (the job calls it once the grace is over).

    ``forget_files`` deletes what is kept outside the database for the learner's transcripts
    (their rendered PDFs), after the transaction commits.
    """
    with ledger.transaction() as tx:
        tx.hold()
        connection = tx.connection
        row = connection.execute(select(learner_t).where(learner_t.c.id == learner_id)).first()
        if row is None or row.closed_at is None:
            raise NotFound(f"no closed learner account {learner_id!r}")
        if row.erased_at is not None:
            raise NotFound(f"learner account {learner_id!r} was already erased")
        transcripts = list(
            connection.execute(
                select(transcript_t.c.id).where(transcript_t.c.learner == learner_id)
            ).scalars()
        )
        in_force = list(
            connection.execute(
                select(transcript_t.c.id).where(
                    transcript_t.c.learner == learner_id, transcript_t.c.revoked_at.is_(None)
                )
            ).scalars()
        )
        if in_force:
            revoke_transcripts(
                tx,
                in_force,
                identity=identity,
                reason=REVOCATION_REASON,
                category=RevocationCategory.LEARNER_ERASED,
                actor=BANK_ACTOR,
                now=now,
            )
        openings = erase_learner_openings(connection, learner_id, reason=ERASURE_REASON, now=now)
        keys.destroy(connection, learner_id, now=now)
        notices = select(notice_t.c.id).where(
            notice_t.c.recipient_kind == "learner", notice_t.c.recipient == learner_id
        )
        connection.execute(delete(outbox_t).where(outbox_t.c.notice.in_(notices)))
        connection.execute(
            delete(notice_t).where(
                notice_t.c.recipient_kind == "learner", notice_t.c.recipient == learner_id
            )
        )
        connection.execute(delete(token_t).where(token_t.c.learner == learner_id))
        # What the learner's rights and applications kept in words of their own.
        connection.execute(delete(access_t).where(access_t.c.learner == learner_id))
        connection.execute(
            update(correction_t)
            .where(correction_t.c.learner == learner_id)
            .values(reason="", answer_reason=None)
        )
        connection.execute(
            update(application_t)
            .where(application_t.c.learner == learner_id)
            .values(public_name=None, decision_reason=None)
        )
        index = tx.record(
            EntryKind.LEARNER_ERASED,
            BANK_ACTOR,
            {
                "account": learner_id,
                "closed_index": row.closed_index,
                "openings_erased": len(openings),
                "transcripts_revoked": len(in_force),
            },
            now=now,
        )
        connection.execute(
            update(learner_t)
            .where(learner_t.c.id == learner_id)
            .values(
                # No document hashes to this: the account can never be found by it again.
                lookup=f"erased:{learner_id}",
                set_aside_lookup=None,
                name_sealed=None,
                document_sealed=None,
                email_sealed=None,
                password_hash=None,
                activation_hash=None,
                closure_ground=str(row.closure_ground).partition(":")[0],
                erased_at=now,
                erased_index=index,
            )
        )
    if forget_files is not None:
        forget_files(transcripts)
    compact(ledger.engine)
    return Erased(learner_id, now, index, len(openings), len(in_force))


def compact(engine: Engine) -> None:
    """Leave no copy of what was just deleted in the database's spare space or its log.

    SQLite zeroes deleted content itself (``secure_delete``); the write-ahead log still holds
    the old pages until a checkpoint truncates it. PostgreSQL keeps dead row versions until a
    VACUUM, which cannot run inside a transaction.
    """
    if is_sqlite(engine):
        raw = engine.raw_connection()  # outside any transaction, as a checkpoint must be
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in (
            "learner_key",
            "ledger_sealed_opening",
            "learner",
            "notice",
            "learner_access",
            "correction_request",
            "application",
        ):
            connection.execute(text(f"VACUUM {table}"))


def due_for_erasure(engine: Engine, now: datetime) -> list[str]:
    """Closed accounts whose grace period is over and that are not erased yet."""
    with read_connection(engine) as connection:
        return list(
            connection.execute(
                select(learner_t.c.id)
                .where(
                    learner_t.c.erase_after.is_not(None),
                    learner_t.c.erase_after <= now,
                    learner_t.c.erased_at.is_(None),
                )
                .order_by(learner_t.c.erase_after)
            ).scalars()
        )


def erase_due(
    ledger: Ledger,
    keys: DataKeys,
    identity: IssuerIdentity,
    *,
    now: datetime,
    forget_files: Callable[[list[str]], None] | None = None,
) -> str | None:
    """The scheduled job: erase every closed account whose grace period is over."""
    erased = [
        erase_learner(ledger, keys, identity, learner_id, now=now, forget_files=forget_files)
        for learner_id in due_for_erasure(ledger.engine, now)
    ]
    if not erased:
        return None
    openings = sum(e.openings for e in erased)
    return f"erased {len(erased)} closed accounts ({openings} log openings)"
