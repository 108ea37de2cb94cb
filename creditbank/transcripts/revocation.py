"""Revoking transcripts, as ledger entries in the caller's transaction.

Every revocation re-signs the status lists it changed in the same transaction, so the list a
verifier reads is the committed state. Correcting or revoking a record, and superseding a
recognised transfer, revoke the transcripts disclosing them through a
:class:`DependentTranscripts` their caller passes in, so a transcript that discloses the old
content can never outlive the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, select, update

from creditbank.evaluations.review import ChangeKind, SourceChange, record_change, review_transfers
from creditbank.learners.data_keys import vault
from creditbank.learners.service import ConsentView
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import LedgerTransaction
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.records.dependents import RevokeDependents
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.status_lists import sign_list
from creditbank.transcripts.tables import Transcript, TranscriptRecord, TranscriptTransfer
from creditbank.transcripts.verdict import RevocationCategory

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
transcript_record_t = TranscriptRecord.__table__  # type: ignore[attr-defined]
transcript_transfer_t = TranscriptTransfer.__table__  # type: ignore[attr-defined]


def reason_context(transcript_id: str) -> str:
    """The sealing context of why a transcript was revoked (the learner's own words, perhaps)."""
    return f"transcript:{transcript_id}:revoked-reason"


def revoke_transcripts(
    tx: LedgerTransaction,
    transcript_ids: Sequence[str],
    *,
    identity: IssuerIdentity,
    reason: str,
    category: RevocationCategory,
    actor: str,
    now: datetime,
) -> None:
    """Record a revocation entry for each transcript, mark its row, and re-sign its list.

    ``reason`` is kept for the learner; ``category`` is what a verifier is told.
    """
    owners: dict[str, str] = dict(
        tx.connection.execute(
            select(transcript_t.c.id, transcript_t.c.learner).where(
                transcript_t.c.id.in_(transcript_ids)
            )
        ).all()
    )
    for transcript_id in transcript_ids:
        # The learner: a reason in the learner's own words is sealed with the learner's data.
        index = tx.record(
            EntryKind.TRANSCRIPT_REVOKED,
            actor,
            {"transcript": transcript_id, "learner": owners[transcript_id], "reason": reason},
            now=now,
        )
        tx.connection.execute(
            update(transcript_t)
            .where(transcript_t.c.id == transcript_id)
            .values(
                revoked_at=now,
                # The learner's own words are sealed with their data; the bank's are not.
                revoked_reason=vault(tx.connection).seal(
                    owners[transcript_id], reason, context=reason_context(transcript_id)
                )
                if category is RevocationCategory.WITHDRAWN
                else reason,
                revoked_category=category.value,
                revoked_index=index,
            )
        )
    holders = tx.connection.execute(
        select(transcript_t.c.id, transcript_t.c.learner).where(
            transcript_t.c.id.in_(transcript_ids)
        )
    ).all()
    for transcript_id, learner in holders:
        notify(
            tx.connection,
            Recipient.LEARNER,
            learner,
            NoticeKind.TRANSCRIPT_REVOKED,
            {"transcript": transcript_id, "reason": reason},
            event_key=f"transcript-revoked:{transcript_id}",
            now=now,
        )
    lists = set(
        tx.connection.execute(
            select(transcript_t.c.status_list).where(transcript_t.c.id.in_(transcript_ids))
        ).scalars()
    )
    if lists:
        issuer = identity.current()
        for list_id in sorted(lists):
            sign_list(tx.connection, list_id, issuer, now)


@dataclass(frozen=True)
class DependentTranscripts:
    """Revokes the transcripts that disclose a changed record or a superseded transfer.

    Its methods are what records and evaluations take as their ``revoke_dependents``
    collaborator: they run in the caller's transaction and return the revoked ids.
    """

    identity: IssuerIdentity

    def _revoke_holding(
        self,
        tx: LedgerTransaction,
        link: Column[Any],
        value: str,
        *,
        reason: str,
        category: RevocationCategory,
        actor: str,
        now: datetime,
    ) -> list[str]:
        """Revoke every unrevoked transcript linked to ``value`` through ``link``."""
        ids = list(
            tx.connection.execute(
                select(transcript_t.c.id)
                .join(link.table, link.table.c.transcript == transcript_t.c.id)
                .where(link == value, transcript_t.c.revoked_at.is_(None))
                .order_by(transcript_t.c.id)
            ).scalars()
        )
        revoke_transcripts(
            tx,
            ids,
            identity=self.identity,
            reason=reason,
            category=category,
            actor=actor,
            now=now,
        )
        return ids

    def of_record(
        self, tx: LedgerTransaction, record_id: str, *, reason: str, actor: str, now: datetime
    ) -> list[str]:
        """What follows a record's correction or revocation; return the transcripts revoked.

        Every unrevoked transcript disclosing the record is revoked, and every standing
        transfer that relied on it goes under review (revoking the transcripts holding it).
        """
        revoked = self._revoke_holding(
            tx,
            transcript_record_t.c.record,
            record_id,
            reason=reason,
            category=RevocationCategory.RECORD_CHANGED,
            actor=actor,
            now=now,
        )
        change = record_change(tx.connection, record_id)
        review_transfers(
            tx, change, revoke_dependents=self._of_reviewed(change), actor=actor, now=now
        )
        return revoked

    def of_consent(
        self, tx: LedgerTransaction, consent: ConsentView, *, actor: str, now: datetime
    ) -> list[str]:
        """What follows a withdrawn consent: the transfers that relied on it go under review."""
        change = SourceChange(
            ChangeKind.CONSENT_WITHDRAWN,
            consent.learner,
            int(consent.withdrawn_index or 0),
            institution=consent.institution,
        )
        return review_transfers(
            tx, change, revoke_dependents=self._of_reviewed(change), actor=actor, now=now
        )

    def _of_reviewed(self, change: SourceChange) -> RevokeDependents:
        """What revokes the transcripts holding a transfer put under review by ``change``."""
        category = (
            RevocationCategory.WITHDRAWN
            if change.kind is ChangeKind.CONSENT_WITHDRAWN
            else RevocationCategory.RECORD_CHANGED
        )

        def revoke(
            tx: LedgerTransaction, transfer_id: str, /, *, reason: str, actor: str, now: datetime
        ) -> list[str]:
            return self._revoke_holding(
                tx,
                transcript_transfer_t.c.transfer,
                transfer_id,
                reason=reason,
                category=category,
                actor=actor,
                now=now,
            )

        return revoke

    def of_transfer(
        self, tx: LedgerTransaction, transfer_id: str, *, reason: str, actor: str, now: datetime
    ) -> list[str]:
        """Revoke every unrevoked transcript that discloses the recognised transfer."""
        return self._revoke_holding(
            tx,
            transcript_transfer_t.c.transfer,
            transfer_id,
            reason=reason,
            category=RevocationCategory.TRANSFER_SUPERSEDED,
            actor=actor,
            now=now,
        )
