"""Revoking transcripts, as a ledger entry in the caller's transaction.

Correcting or revoking a record calls :func:`revoke_for_record` inside the same transaction,
and superseding a recognised transfer :func:`revoke_for_transfer`, so a transcript that
discloses the old content can never outlive the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, select, update

from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import LedgerTransaction
from creditbank.transcripts.tables import Transcript, TranscriptRecord, TranscriptTransfer

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
transcript_record_t = TranscriptRecord.__table__  # type: ignore[attr-defined]
transcript_transfer_t = TranscriptTransfer.__table__  # type: ignore[attr-defined]


def mark_revoked(
    tx: LedgerTransaction, transcript_id: str, *, reason: str, actor: str, now: datetime
) -> int:
    """Record the revocation entry and mark the row; return the entry's index."""
    index = tx.record(
        EntryKind.TRANSCRIPT_REVOKED,
        actor,
        {"transcript": transcript_id, "reason": reason},
        now=now,
    )
    tx.connection.execute(
        update(transcript_t)
        .where(transcript_t.c.id == transcript_id)
        .values(revoked_at=now, revoked_reason=reason, revoked_index=index)
    )
    return index


def _revoke_holding(
    tx: LedgerTransaction, link: Column[Any], value: str, *, reason: str, actor: str, now: datetime
) -> list[str]:
    """Revoke every unrevoked transcript linked to ``value`` through ``link``; return them."""
    ids = list(
        tx.connection.execute(
            select(transcript_t.c.id)
            .join(link.table, link.table.c.transcript == transcript_t.c.id)
            .where(link == value, transcript_t.c.revoked_at.is_(None))
            .order_by(transcript_t.c.id)
        ).scalars()
    )
    for transcript_id in ids:
        mark_revoked(tx, transcript_id, reason=reason, actor=actor, now=now)
    return ids


def revoke_for_record(
    tx: LedgerTransaction, record_id: str, *, reason: str, actor: str, now: datetime
) -> list[str]:
    """Revoke every unrevoked transcript that discloses ``record_id``; return their ids."""
    return _revoke_holding(
        tx, transcript_record_t.c.record, record_id, reason=reason, actor=actor, now=now
    )


def revoke_for_transfer(
    tx: LedgerTransaction, transfer_id: str, *, reason: str, actor: str, now: datetime
) -> list[str]:
    """Revoke every unrevoked transcript that discloses the recognised transfer."""
    return _revoke_holding(
        tx, transcript_transfer_t.c.transfer, transfer_id, reason=reason, actor=actor, now=now
    )
