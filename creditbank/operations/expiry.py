"""Expiry sweeps: consents past their end date enter the log; expired certificates get a flag.

A consent stops working at ``valid_until`` whatever this job does (access checks compare the
date); the job records the expiry as a ``consent.expired`` entry so the log shows the consent's
whole life. A certificate past its ``expires_on`` is flagged in ``certificate_flag`` for the
version that states the date, so a correction with a later date clears the flag.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select

from creditbank.clock import as_utc, utc_now
from creditbank.identity.principals import BANK_ACTOR
from creditbank.learners.data_keys import vault
from creditbank.learners.tables import Consent
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.operations.tables import CertificateFlag, ConsentExpiry
from creditbank.records.contents import load_content
from creditbank.records.tables import OutcomeRecord, RecordVersion
from creditbank.storage.database import read_connection, write_transaction

consent_t = Consent.__table__  # type: ignore[attr-defined]
expiry_t = ConsentExpiry.__table__  # type: ignore[attr-defined]
flag_t = CertificateFlag.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
version_t = RecordVersion.__table__  # type: ignore[attr-defined]
BATCH = 500
# How long before a consent ends its learner is told.
EXPIRY_WARNING = timedelta(days=7)


def expire_consents(ledger: Ledger, *, now: datetime | None = None) -> str | None:
    """Record a ``consent.expired`` entry for each consent whose end date has passed."""
    now = now or utc_now()
    total = 0
    while True:
        with ledger.transaction() as tx:
            due = tx.connection.execute(
                select(consent_t)
                .outerjoin(expiry_t, expiry_t.c.consent == consent_t.c.id)
                .where(
                    consent_t.c.valid_until <= now,
                    consent_t.c.withdrawn_at.is_(None),
                    expiry_t.c.consent.is_(None),
                )
                .order_by(consent_t.c.valid_until, consent_t.c.id)
                .limit(BATCH)
            ).all()
            if not due:
                break
            result = tx.append(
                [
                    NewEntry(
                        EntryKind.CONSENT_EXPIRED,
                        BANK_ACTOR,
                        {
                            "consent": row.id,
                            "learner": row.learner,
                            "institution": row.institution,
                            "valid_until": as_utc(row.valid_until).isoformat(),
                        },
                    )
                    for row in due
                ],
                now=now,
            )
            tx.connection.execute(
                insert(expiry_t),
                [
                    {"consent": row.id, "ledger_index": entry.index, "expired_at": now}
                    for row, entry in zip(due, result.entries, strict=True)
                ],
            )
        total += len(due)
    return f"{total} consents expired" if total else None


def warn_expiring_consents(
    engine: Engine, *, within: timedelta = EXPIRY_WARNING, now: datetime | None = None
) -> str | None:
    """Tell each learner, once per consent, that one ends within ``within``.

    The notice's event key is the consent's id, so a consent is warned about once however
    often the job runs; a consent granted again is a new consent and is warned about again.
    """
    now = now or utc_now()
    warned = 0
    with write_transaction(engine) as connection:
        due = connection.execute(
            select(consent_t)
            .where(
                consent_t.c.valid_until > now,
                consent_t.c.valid_until <= now + within,
                consent_t.c.withdrawn_at.is_(None),
            )
            .order_by(consent_t.c.valid_until, consent_t.c.id)
        ).all()
        for row in due:
            warned += notify(
                connection,
                Recipient.LEARNER,
                row.learner,
                NoticeKind.CONSENT_EXPIRING,
                {
                    "institution": row.institution,
                    "scope": row.scope,
                    "valid_until": as_utc(row.valid_until).date().isoformat(),
                },
                event_key=f"consent-expiring:{row.id}",
                now=now,
            )
    return f"{warned} learners told a consent expires soon" if warned else None


def flag_certificates(engine: Engine, *, today: date | None = None) -> str | None:
    """Flag the active certificates whose current version's ``expires_on`` has passed."""
    today = today or utc_now().date()
    flagged = cleared = 0
    with write_transaction(engine) as connection:
        stale = _stale_flags(connection)
        if stale:
            connection.execute(delete(flag_t).where(flag_t.c.record.in_(stale)))
            cleared = len(stale)
        rows = connection.execute(
            select(record_t.c.id, record_t.c.version, version_t.c.content, record_t.c.learner)
            .join(
                version_t,
                and_(
                    version_t.c.record == record_t.c.id, version_t.c.version == record_t.c.version
                ),
            )
            .outerjoin(flag_t, flag_t.c.record == record_t.c.id)
            .where(
                record_t.c.kind == "certificate",
                record_t.c.status == "active",
                flag_t.c.record.is_(None),
            )
        ).all()
        new_flags = []
        box = vault(connection)
        box.prefetch({row.learner for row in rows})
        for record_id, version, content, learner in rows:
            if not box.readable(learner):
                continue
            expires = load_content(box, learner, record_id, version, content).get("expires_on")
            if expires and date.fromisoformat(expires) < today:
                new_flags.append(
                    {
                        "record": record_id,
                        "version": version,
                        "expires_on": date.fromisoformat(expires),
                        "flagged_at": utc_now(),
                    }
                )
        if new_flags:
            connection.execute(insert(flag_t), new_flags)
        flagged = len(new_flags)
    if not flagged and not cleared:
        return None
    return f"{flagged} certificates flagged expired, {cleared} flags cleared"


def _stale_flags(connection: Connection) -> list[str]:
    """Flags of records changed (corrected or revoked) since they were flagged."""
    rows = connection.execute(
        select(flag_t.c.record)
        .join(record_t, record_t.c.id == flag_t.c.record)
        .where(or_(record_t.c.version != flag_t.c.version, record_t.c.status != "active"))
    )
    return [record for (record,) in rows]


def expired_certificates(connection: Connection, record_ids: list[str]) -> set[str]:
    """Which of ``record_ids`` carry an expiry flag for their current version."""
    if not record_ids:
        return set()
    rows = connection.execute(
        select(flag_t.c.record)
        .join(record_t, record_t.c.id == flag_t.c.record)
        .where(flag_t.c.record.in_(record_ids), record_t.c.version == flag_t.c.version)
    )
    return {record for (record,) in rows}


def consent_expiry_index(engine: Engine, consent_id: str) -> int | None:
    """The log index recording a consent's expiry, if it was recorded."""
    with read_connection(engine) as connection:
        index: int | None = connection.execute(
            select(expiry_t.c.ledger_index).where(expiry_t.c.consent == consent_id)
        ).scalar_one_or_none()
    return index
