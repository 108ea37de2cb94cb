"""Transcripts already issued: a learner's list, one transcript, lookup by code, revoking one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from creditbank.clock import as_utc
from creditbank.errors import Conflict, DataErased, NotFound
from creditbank.identity.sealing import FieldSealer
from creditbank.learners.data_keys import Vault, vault
from creditbank.learners.tables import Learner
from creditbank.ledger.service import Ledger
from creditbank.storage.database import read_connection
from creditbank.transcripts.cryptosuite import format_datetime
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.revocation import reason_context, revoke_transcripts
from creditbank.transcripts.tables import Transcript
from creditbank.transcripts.verdict import RevocationCategory, Verdict, VerdictClass, erased
from creditbank.transcripts.verify import Report

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
learner_t = Learner.__table__  # type: ignore[attr-defined]


def seal_context(transcript_id: str) -> str:
    """The context a transcript's credential is sealed under: it opens for no other row."""
    return f"transcript:{transcript_id}"


@dataclass(frozen=True)
class TranscriptSummary:
    """What a learner's list of transcripts shows."""

    id: str
    code: str
    language: str
    issued_at: datetime
    valid_until: datetime
    records: int
    revoked_at: datetime | None
    revoked_reason: str | None
    revoked_category: RevocationCategory | None = None


def _summary(row: Any, box: Vault | None = None) -> TranscriptSummary:
    reason = row.revoked_reason
    if reason is not None:
        # Unreadable once the learner's data was erased (the row itself stays).
        reason = (
            box.open(row.learner, reason, context=reason_context(row.id))
            if box is not None and box.readable(row.learner)
            else None
        )
    return TranscriptSummary(
        row.id,
        row.code,
        row.language,
        row.issued_at,
        row.valid_until,
        row.record_count,
        row.revoked_at,
        reason,
        None if row.revoked_category is None else RevocationCategory(row.revoked_category),
    )


def list_transcripts(connection: Connection, learner_id: str) -> list[TranscriptSummary]:
    """The learner's transcripts, newest first (in log order: times are kept to the second)."""
    rows = connection.execute(
        select(transcript_t)
        .where(transcript_t.c.learner == learner_id)
        .order_by(transcript_t.c.ledger_index.desc())
    )
    box = vault(connection)
    return [_summary(row, box) for row in rows]


def _row(connection: Connection, transcript_id: str, learner_id: str | None) -> Any:
    row = connection.execute(select(transcript_t).where(transcript_t.c.id == transcript_id)).first()
    # Another learner's transcript answers as a missing one: no probing for ids.
    if row is None or (learner_id is not None and row.learner != learner_id):
        raise NotFound(f"no transcript {transcript_id!r}")
    return row


def _credential(connection: Connection, row: Any) -> dict[str, Any]:
    text = vault(connection).open(row.learner, row.credential_sealed, context=seal_context(row.id))
    credential: dict[str, Any] = json.loads(text)
    return credential


def read_transcript(
    engine: Engine, sealer: FieldSealer, transcript_id: str, learner_id: str | None
) -> tuple[TranscriptSummary, dict[str, Any]]:
    """A transcript and its credential (only the learner's own when ``learner_id`` is given)."""
    with read_connection(engine) as connection:
        row = _row(connection, transcript_id, learner_id)
        return _summary(row, vault(connection)), _credential(connection, row)


class TranscriptErased(DataErased):
    """The transcript's learner was erased: its credential, sealed under their key, is gone."""

    def __init__(self, at: datetime) -> None:
        stamp = format_datetime(as_utc(at))
        super().__init__(
            f"the learner's data was erased on {stamp[:10]}", extra={"erased_at": stamp}
        )
        self.at = stamp

    def report(self) -> Report:
        """What verifying the transcript by its code comes to: erased, with the date."""
        return Report(None, 0, (), erased(Verdict(VerdictClass.VALID), self.at))


def find_by_code(
    engine: Engine, sealer: FieldSealer, code: str
) -> tuple[TranscriptSummary, dict[str, Any]]:
    """The transcript an online verification code names."""
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    with read_connection(engine) as connection:
        row = connection.execute(
            select(transcript_t).where(transcript_t.c.code == normalised)
        ).first()
        if row is None:
            raise NotFound("no transcript has this verification code")
        gone = connection.execute(
            select(learner_t.c.erased_at).where(learner_t.c.id == row.learner)
        ).scalar_one_or_none()
        if gone is not None:
            raise TranscriptErased(gone)
        return _summary(row, vault(connection)), _credential(connection, row)


def revocation_at(
    engine: Engine, list_id: int, index: int
) -> tuple[datetime, RevocationCategory | None] | None:
    """When and (as a category) why the transcript at a status position was revoked."""
    with read_connection(engine) as connection:
        row = connection.execute(
            select(transcript_t.c.revoked_at, transcript_t.c.revoked_category).where(
                transcript_t.c.status_list == list_id, transcript_t.c.status_index == index
            )
        ).first()
    if row is None or row.revoked_at is None:
        return None
    category = None if row.revoked_category is None else RevocationCategory(row.revoked_category)
    return row.revoked_at, category


def revoke_transcript(
    ledger: Ledger,
    identity: IssuerIdentity,
    transcript_id: str,
    learner_id: str,
    *,
    reason: str,
    now: datetime,
) -> TranscriptSummary:
    """The learner revokes one of their transcripts; its status list is re-signed with it."""
    with ledger.transaction() as tx:
        row = tx.connection.execute(
            select(transcript_t).where(transcript_t.c.id == transcript_id).with_for_update()
        ).first()
        if row is None or row.learner != learner_id:
            raise NotFound(f"no transcript {transcript_id!r}")
        if row.revoked_at is not None:
            raise Conflict(f"transcript {transcript_id} was already revoked")
        revoke_transcripts(
            tx,
            [transcript_id],
            identity=identity,
            reason=reason,
            category=RevocationCategory.WITHDRAWN,
            actor="learner",
            now=now,
        )
        return _summary(_row(tx.connection, transcript_id, learner_id), vault(tx.connection))
