"""Issuing a transcript of a learner's chosen records and recognised transfers.

Issuing gathers the selected records' (and recognised transfers') committed payloads, salts,
entry bytes and inclusion proofs against one signed checkpoint that covers them all, signs
every record's credential and the transcript, and stores it (sealed) with a
``transcript.issued`` entry in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from creditbank.canonical import canonical_json
from creditbank.errors import Conflict
from creditbank.evaluations.tables import RecognisedTransfer
from creditbank.evaluations.transfers import learner_transfers
from creditbank.identity.sealing import FieldSealer
from creditbank.institutions.tables import Institution
from creditbank.learners.data_keys import vault
from creditbank.learners.service import read_account
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.proofs import inclusion_proof
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import StoredNodes, read_head, read_openings
from creditbank.ledger.tables import LedgerEntry
from creditbank.records.service import RecordStatus, learner_records
from creditbank.records.tables import OutcomeRecord
from creditbank.storage.database import read_connection
from creditbank.transcripts import status
from creditbank.transcripts.credential import (
    InstitutionName,
    Language,
    RecordInput,
    TranscriptInput,
    transcript_credential,
)
from creditbank.transcripts.evidence import (
    DELEGATION_EVIDENCE_NAME,
    EVIDENCE_NAME,
    SIGNING_KEY_EVIDENCE_NAME,
    build_evidence,
)
from creditbank.transcripts.issued import seal_context
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.selection import Disclosed, check_request, select_items
from creditbank.transcripts.status_lists import allocate_status
from creditbank.transcripts.tables import Transcript, TranscriptRecord, TranscriptTransfer
from creditbank.witness.collector.service import witnesses_of

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
transcript_record_t = TranscriptRecord.__table__  # type: ignore[attr-defined]
transcript_transfer_t = TranscriptTransfer.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
transfer_t = RecognisedTransfer.__table__  # type: ignore[attr-defined]
entry_t = LedgerEntry.__table__  # type: ignore[attr-defined]
institution_t = Institution.__table__  # type: ignore[attr-defined]

# 16 characters of an alphabet without 0/O, 1/I/L: 80 bits, read aloud or typed safely.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16


@dataclass(frozen=True)
class Issued:
    """A transcript just issued."""

    id: str
    code: str
    ledger_index: int
    credential: dict[str, Any]


@dataclass(frozen=True)
class CoveringCheckpoint:
    """The checkpoint a transcript's proofs lead to: its size and the note embedded."""

    size: int
    note: str
    witnesses: tuple[str, ...]


def covering_checkpoint(
    ledger: Ledger, witness_keys: Sequence[str], last_index: int
) -> CoveringCheckpoint:
    """The cosigned checkpoint covering ``last_index`` if witnesses cosigned one, else the bank's.

    A cosigned note is the bank-signed note with the witnesses' lines appended, so a verifier
    that knows no witnesses still checks it; one that does can require k cosignatures.
    """
    cosigned = witnesses_of(ledger, witness_keys).covering(last_index + 1)
    if cosigned is not None and cosigned.witnesses:
        return CoveringCheckpoint(cosigned.size, cosigned.note, cosigned.witnesses)
    checkpoint = ledger.current_checkpoint()
    if checkpoint.size <= last_index:
        checkpoint = ledger.publish_checkpoint()
    return CoveringCheckpoint(checkpoint.size, checkpoint.note, ())


def _entry_bytes(connection: Connection, indices: Sequence[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    ordered = sorted(indices)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = connection.execute(
            select(entry_t.c.idx, entry_t.c.data).where(entry_t.c.idx.in_(chunk))
        )
        found.update((idx, data) for idx, data in rows)
    return found


def _institution_names(connection: Connection, codes: set[str]) -> dict[str, InstitutionName]:
    rows = connection.execute(
        select(institution_t.c.code, institution_t.c.name_zh, institution_t.c.name_en).where(
            institution_t.c.code.in_(sorted(codes))
        )
    )
    return {row.code: InstitutionName(row.code, row.name_zh, row.name_en) for row in rows}


def _authorship_entries(payload: Any) -> list[tuple[int, str]]:
    """The entries that show who posted a record: its delegation, its signing key."""
    found = []
    if isinstance(payload, dict):
        delegation = payload.get("delegation")
        if isinstance(delegation, dict):
            found.append((int(delegation["index"]), DELEGATION_EVIDENCE_NAME))
        signed = payload.get("signed_batch")
        if isinstance(signed, dict) and isinstance(signed.get("key_index"), int):
            found.append((int(signed["key_index"]), SIGNING_KEY_EVIDENCE_NAME))
    return found


def _evidence(
    connection: Connection, chosen: Sequence[Disclosed], checkpoint: CoveringCheckpoint
) -> tuple[list[RecordInput], dict[str, InstitutionName]]:
    """Each chosen item's evidence, with that of the entries showing who posted it.

    Those are the delegation a record was posted under and the key that signed its batch
    over its items; both precede the record's entry, so the checkpoint covering the record
    covers them too, and all are proven against the same one.
    """
    indices = [item.ledger_index for item in chosen]
    openings = read_openings(connection, indices)
    authorship = {
        index for _, p in openings.values() for index, _ in _authorship_entries(json.loads(p))
    }
    entries = _entry_bytes(connection, sorted(set(indices) | authorship))
    openings.update(read_openings(connection, sorted(authorship)))
    nodes = StoredNodes(connection)

    def proven(index: int, name: str = EVIDENCE_NAME) -> dict[str, Any]:
        salt, payload_bytes = openings[index]
        return build_evidence(
            entries[index],
            salt=salt,
            payload_bytes=payload_bytes,
            proof=inclusion_proof(nodes, index, checkpoint.size),
            tree_size=checkpoint.size,
            checkpoint_note=checkpoint.note,
            name=name,
        )

    inputs = []
    codes: set[str] = set()
    for item in chosen:
        index = item.ledger_index
        if index not in openings:
            raise Conflict(f"record {item.id}: its committed payload was erased")
        evidence = proven(index)
        payload = evidence["ledgerPayload"]
        codes.add(str(payload["institution"]))
        source = payload.get("outcome", {}).get("source_institution")
        if source:
            codes.add(str(source))
        extra = tuple(proven(index, name) for index, name in _authorship_entries(payload))
        inputs.append(RecordInput(payload, evidence, evidence["ledgerEntry"]["kind"], extra))
    return inputs, _institution_names(connection, codes)


def _check_still_current(connection: Connection, chosen: Sequence[Disclosed]) -> None:
    """Refuse (409) if a chosen record changed, or a transfer was superseded or put under review."""
    record_ids = [item.id for item in chosen if not item.is_transfer]
    transfer_ids = [item.id for item in chosen if item.is_transfer]
    current = {
        row.id: (row.status, row.version)
        for row in connection.execute(
            select(record_t.c.id, record_t.c.status, record_t.c.version).where(
                record_t.c.id.in_(record_ids)
            )
        )
    }
    superseded = set(
        connection.execute(
            select(transfer_t.c.id).where(
                transfer_t.c.id.in_(transfer_ids),
                transfer_t.c.superseded_by.is_not(None) | transfer_t.c.review_since.is_not(None),
            )
        ).scalars()
    )
    changed = [
        item.id
        for item in chosen
        if item.id in superseded
        or (
            not item.is_transfer
            and current.get(item.id) != (RecordStatus.ACTIVE.value, item.record_version)
        )
    ]
    if changed:
        raise Conflict(
            f"{len(changed)} of the chosen records changed while the transcript was being "
            "issued; nothing was issued, ask again"
        )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(public_url: str, code: str) -> str:
    """The page a QR code on the printed transcript opens."""
    return f"{public_url.rstrip('/')}/verify/{code}"


def issue_transcript(
    ledger: Ledger,
    sealer: FieldSealer,
    identity: IssuerIdentity,
    learner_id: str,
    *,
    witness_keys: Sequence[str],
    record_ids: Sequence[str] | None,
    language: str,
    validity_days: int,
    now: datetime,
    actor: str = "learner",
) -> Issued:
    """Issue a signed transcript of the learner's chosen records and recognised transfers.

    ``record_ids`` may name records and recognised transfers; None takes every active record
    and every standing transfer. ``witness_keys`` are the witnesses whose cosigned checkpoint
    the proofs lead to, when they cosigned one.
    """
    check_request(language, validity_days)
    lang: Language = "en" if language == "en" else "zh"
    issued_at = now.replace(microsecond=0)
    with read_connection(ledger.engine) as connection:
        records = learner_records(connection, learner_id)
        transfers = learner_transfers(connection, learner_id)
        chosen = select_items(records, transfers, record_ids)
        active = sum(1 for r in records if r.status is RecordStatus.ACTIVE)
        active += sum(1 for t in transfers if t.standing)
        account = read_account(connection, sealer, learner_id)
    checkpoint = covering_checkpoint(
        ledger, witness_keys, max(item.ledger_index for item in chosen)
    )
    with read_connection(ledger.engine) as connection:
        inputs, names = _evidence(connection, chosen, checkpoint)
    transcript_id = str(uuid.uuid4())
    the_issuer = identity.current()
    with ledger.transaction() as tx:
        # The sequencer's lock before the status list's, as every revocation takes them: a
        # revocation re-signs its list after its entry, and must not wait on an issue that
        # waits on it.
        read_head(tx.connection, for_update=True)
        list_id, status_index = allocate_status(tx.connection, the_issuer, now)
        code = _new_code()
        request = TranscriptInput(
            transcript_id=transcript_id,
            learner_id=learner_id,
            learner_name=account.name,
            language=lang,
            issued_at=issued_at,
            valid_until=issued_at + timedelta(days=validity_days),
            verification_code=code,
            verification_url=verification_url(identity.public_url, code),
            status_entry=status.status_entry(the_issuer.public_url, list_id, status_index),
            partial=len(chosen) < active,
            records=inputs,
            names=names,
        )
        credential = transcript_credential(request, the_issuer)
        text = canonical_json(credential).decode("utf-8")
        index = tx.record(
            EntryKind.TRANSCRIPT_ISSUED,
            actor,
            {
                "transcript": transcript_id,
                "learner": learner_id,
                "credential_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "records": [[item.id, item.ledger_index] for item in chosen],
                "valid_until": credential["validUntil"],
                "status": [list_id, status_index],
                "checkpoint_size": checkpoint.size,
            },
            now=now,
        )
        # The append holds the sequencer lock: a correction, revocation or supersession is now
        # either committed (and seen here) or waits, and will find this transcript to revoke.
        _check_still_current(tx.connection, chosen)
        tx.connection.execute(
            insert(transcript_t).values(
                id=transcript_id,
                learner=learner_id,
                code=code,
                language=lang,
                issued_at=issued_at,
                valid_until=request.valid_until,
                record_count=len(chosen),
                status_list=list_id,
                status_index=status_index,
                credential_sealed=vault(tx.connection).seal(
                    learner_id, text, context=seal_context(transcript_id)
                ),
                ledger_index=index,
            )
        )
        disclosed = [
            {"transcript": transcript_id, "record": item.id, "version": item.record_version}
            for item in chosen
            if not item.is_transfer
        ]
        if disclosed:
            tx.connection.execute(insert(transcript_record_t), disclosed)
        transfers_held = [
            {"transcript": transcript_id, "transfer": item.id}
            for item in chosen
            if item.is_transfer
        ]
        if transfers_held:
            tx.connection.execute(insert(transcript_transfer_t), transfers_held)
    return Issued(transcript_id, code, index, credential)
