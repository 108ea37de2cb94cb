"""Issuing, listing, reading and revoking transcripts; status lists; online verification.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from creditbank.canonical import canonical_json
from creditbank.cosignatures.service import witnesses_of
from creditbank.errors import Conflict, FieldProblem, InvalidInput, NotFound
from creditbank.evaluations.tables import RecognisedTransfer
from creditbank.evaluations.transfers import TransferView, learner_transfers
from creditbank.institutions.tables import Institution
from creditbank.learners.service import read_account
from creditbank.ledger.checkpoint import Checkpoint
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.proofs import inclusion_proof
from creditbank.ledger.store import StoredNodes, read_openings
from creditbank.ledger.tables import LedgerEntry
from creditbank.ledger.verify import verify_consistency
from creditbank.numerals import natural
from creditbank.records.service import RecordStatus, RecordView, learner_records
from creditbank.records.tables import OutcomeRecord
from creditbank.services import Services
from creditbank.storage.database import read_connection, write_transaction
from creditbank.transcripts import did, status
from creditbank.transcripts.credential import (
    InstitutionName,
    Issuer,
    Language,
    RecordInput,
    TranscriptInput,
    transcript_credential,
)
from creditbank.transcripts.evidence import build_evidence
from creditbank.transcripts.revocation import mark_revoked
from creditbank.transcripts.tables import (
    StatusList,
    Transcript,
    TranscriptRecord,
    TranscriptTransfer,
)
from creditbank.transcripts.verify import Report, Trust, verify_transcript

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
transcript_record_t = TranscriptRecord.__table__  # type: ignore[attr-defined]
transcript_transfer_t = TranscriptTransfer.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
transfer_t = RecognisedTransfer.__table__  # type: ignore[attr-defined]
status_list_t = StatusList.__table__  # type: ignore[attr-defined]
entry_t = LedgerEntry.__table__  # type: ignore[attr-defined]
institution_t = Institution.__table__  # type: ignore[attr-defined]

MIN_VALIDITY_DAYS = 30
MAX_VALIDITY_DAYS = 180
LANGUAGES = ("zh", "en")
# 16 characters of an alphabet without 0/O, 1/I/L: 80 bits, read aloud or typed safely.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
MAX_RECORDS = 500


# --- the issuer ---------------------------------------------------------------------------


def configured_did(services: Services) -> str:
    """The issuer DID setting: ``did:key``, or a did:web (by default the public URL's)."""
    return services.settings.issuer_did or did.did_web(services.settings.public_url)


def issuer(services: Services) -> Issuer:
    """The bank as issuer, with its current signing key."""
    key, private = services.issuer_keys.current()
    controller = did.issuer_did(configured_did(services), key.public_key)
    return Issuer(
        did=controller,
        method_id=did.method_id(controller, key),
        private_key=private,
        public_url=services.settings.public_url.rstrip("/"),
    )


def did_document(services: Services) -> dict[str, Any]:
    """The DID document served at ``/.well-known/did.json`` (with the log's keys)."""
    current = issuer(services).did
    log_keys = [v.verifier_key() for v in services.ledger.keyring.verifiers()]
    return did.did_document(current, services.issuer_keys.keys(), log_keys)


def trusted_keys(services: Services) -> dict[str, did.KnownKey]:
    """Every verification method of the bank, current and earlier."""
    keys = services.issuer_keys.keys()
    if configured_did(services) == did.DID_KEY:
        found: dict[str, did.KnownKey] = {}
        for key in keys:
            found.update(did.keys_of(did.did_key(key.public_key), [key]))
        return found
    return did.keys_of(configured_did(services), keys)


# --- issuing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A transcript just issued."""

    id: str
    code: str
    ledger_index: int
    credential: dict[str, Any]


def _check_request(language: str, validity_days: int) -> None:
    problems = []
    if language not in LANGUAGES:
        problems.append(FieldProblem("language", "must be 'zh' or 'en'"))
    if (
        isinstance(validity_days, bool)
        or not isinstance(validity_days, int)
        or not MIN_VALIDITY_DAYS <= validity_days <= MAX_VALIDITY_DAYS
    ):
        problems.append(
            FieldProblem(
                "validity_days", f"must be between {MIN_VALIDITY_DAYS} and {MAX_VALIDITY_DAYS}"
            )
        )
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)


@dataclass(frozen=True)
class Disclosed:
    """One thing a transcript discloses: a record's current version or a recognised transfer."""

    id: str
    ledger_index: int
    record_version: int | None  # None for a recognised transfer

    @property
    def is_transfer(self) -> bool:
        """True for a recognised transfer."""
        return self.record_version is None


def select_items(
    records: Sequence[RecordView],
    transfers: Sequence[TransferView],
    wanted: Sequence[str] | None,
) -> list[Disclosed]:
    """What to disclose: the chosen records and transfers in their order, or every one standing.

    With nothing chosen, every active record (in posting order) then every standing transfer
    (in ledger order).
    """
    found: dict[str, tuple[Disclosed, str | None]] = {}
    for record in records:
        problem = None if record.status is RecordStatus.ACTIVE else "is revoked"
        item = Disclosed(record.id, record.current.ledger_index, record.version)
        found[record.id] = (item, problem)
    for transfer in transfers:
        problem = None if transfer.standing else "is a superseded transfer"
        found[transfer.id] = (Disclosed(transfer.id, transfer.ledger_index, None), problem)
    if wanted is None:
        active = sorted(
            (r for r in records if r.status is RecordStatus.ACTIVE),
            key=lambda r: (r.posted_at, r.current.ledger_index),
        )
        chosen = [found[r.id][0] for r in active]
        chosen += [found[t.id][0] for t in transfers if t.standing]
    else:
        problems = []
        seen: set[str] = set()
        for position, item_id in enumerate(wanted):
            entry = found.get(item_id)
            if item_id in seen:
                problems.append(FieldProblem("records", "is listed twice", position))
            elif entry is None:
                problems.append(
                    FieldProblem("records", "is not one of your records or transfers", position)
                )
            elif entry[1] is not None:
                problems.append(FieldProblem("records", entry[1], position))
            seen.add(item_id)
        if problems:
            raise InvalidInput(
                f"{len(problems)} of the chosen records cannot be included", problems=problems
            )
        chosen = [found[item_id][0] for item_id in wanted]
    if not chosen:
        raise InvalidInput(
            "a transcript needs at least one active record",
            problems=[FieldProblem("records", "no active records to include")],
        )
    if len(chosen) > MAX_RECORDS:
        raise InvalidInput(
            f"a transcript holds at most {MAX_RECORDS} records",
            problems=[FieldProblem("records", f"at most {MAX_RECORDS}")],
        )
    return chosen


@dataclass(frozen=True)
class CoveringCheckpoint:
    """The checkpoint a transcript's proofs lead to: its size and the note embedded."""

    size: int
    note: str
    witnesses: tuple[str, ...]


def _covering_checkpoint(services: Services, last_index: int) -> CoveringCheckpoint:
    """The cosigned checkpoint covering ``last_index`` if witnesses cosigned one, else the bank's.

    A cosigned note is the bank-signed note with the witnesses' lines appended, so a verifier
    that knows no witnesses still checks it; one that does can require k cosignatures.
    """
    cosigned = witnesses_of(services.ledger, services.settings.witness_keys).covering(
        last_index + 1
    )
    if cosigned is not None and cosigned.witnesses:
        return CoveringCheckpoint(cosigned.size, cosigned.note, cosigned.witnesses)
    checkpoint = services.ledger.current_checkpoint()
    if checkpoint.size <= last_index:
        checkpoint = services.ledger.publish_checkpoint()
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


def _evidence(
    connection: Connection, chosen: Sequence[Disclosed], checkpoint: CoveringCheckpoint
) -> tuple[list[RecordInput], dict[str, InstitutionName]]:
    indices = [item.ledger_index for item in chosen]
    entries = _entry_bytes(connection, indices)
    openings = read_openings(connection, indices)
    nodes = StoredNodes(connection)
    inputs = []
    codes: set[str] = set()
    for item in chosen:
        index = item.ledger_index
        if index not in openings:
            raise Conflict(f"record {item.id}: its committed payload was erased")
        salt, payload_bytes = openings[index]
        proof = inclusion_proof(nodes, index, checkpoint.size)
        evidence = build_evidence(
            entries[index],
            salt=salt,
            payload_bytes=payload_bytes,
            proof=proof,
            tree_size=checkpoint.size,
            checkpoint_note=checkpoint.note,
        )
        payload = evidence["ledgerPayload"]
        codes.add(str(payload["institution"]))
        source = payload.get("outcome", {}).get("source_institution")
        if source:
            codes.add(str(source))
        inputs.append(RecordInput(payload, evidence, evidence["ledgerEntry"]["kind"]))
    return inputs, _institution_names(connection, codes)


def _check_still_current(connection: Connection, chosen: Sequence[Disclosed]) -> None:
    """Refuse (409) if a chosen record changed, or a transfer was superseded, since it was read."""
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
                transfer_t.c.id.in_(transfer_ids), transfer_t.c.superseded_by.is_not(None)
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


def _allocate_status(connection: Connection) -> tuple[int, int]:
    """A random free index in a status list with room (a new list when all are full)."""
    row = connection.execute(
        select(status_list_t)
        .where(status_list_t.c.used < status.FILL_LIMIT)
        .order_by(status_list_t.c.id)
        .limit(1)
        .with_for_update()
    ).first()
    if row is None:
        list_id = (
            int(
                connection.execute(
                    select(func.coalesce(func.max(status_list_t.c.id), 0))
                ).scalar_one()
            )
            + 1
        )
        connection.execute(insert(status_list_t).values(id=list_id, size=status.LIST_BITS, used=0))
        size = status.LIST_BITS
    else:
        list_id, size = row.id, row.size
    while True:
        index = secrets.randbelow(size)
        taken = connection.execute(
            select(transcript_t.c.id).where(
                transcript_t.c.status_list == list_id, transcript_t.c.status_index == index
            )
        ).first()
        if taken is None:
            break
    connection.execute(
        update(status_list_t)
        .where(status_list_t.c.id == list_id)
        .values(used=status_list_t.c.used + 1)
    )
    return list_id, index


def _seal_context(transcript_id: str) -> str:
    return f"transcript:{transcript_id}"


def verification_url(services: Services, code: str) -> str:
    """The page a QR code on the printed transcript opens."""
    return f"{services.settings.public_url.rstrip('/')}/verify/{code}"


def issue_transcript(
    services: Services,
    learner_id: str,
    *,
    record_ids: Sequence[str] | None,
    language: str,
    validity_days: int,
    now: datetime,
    actor: str = "learner",
) -> Issued:
    """Issue a signed transcript of the learner's chosen records and recognised transfers.

    ``record_ids`` may name records and recognised transfers; None takes every active record
    and every standing transfer.
    """
    _check_request(language, validity_days)
    lang: Language = "en" if language == "en" else "zh"
    issued_at = now.replace(microsecond=0)
    with read_connection(services.engine) as connection:
        records = learner_records(connection, learner_id)
        transfers = learner_transfers(connection, learner_id)
        chosen = select_items(records, transfers, record_ids)
        active = sum(1 for r in records if r.status is RecordStatus.ACTIVE)
        active += sum(1 for t in transfers if t.standing)
        account = read_account(connection, services.sealer, learner_id)
    checkpoint = _covering_checkpoint(services, max(item.ledger_index for item in chosen))
    with read_connection(services.engine) as connection:
        inputs, names = _evidence(connection, chosen, checkpoint)
    transcript_id = str(uuid.uuid4())
    the_issuer = issuer(services)
    with services.ledger.transaction() as tx:
        list_id, status_index = _allocate_status(tx.connection)
        code = _new_code()
        request = TranscriptInput(
            transcript_id=transcript_id,
            learner_id=learner_id,
            learner_name=account.name,
            language=lang,
            issued_at=issued_at,
            valid_until=issued_at + timedelta(days=validity_days),
            verification_code=code,
            verification_url=verification_url(services, code),
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
                credential_sealed=services.sealer.seal(text, context=_seal_context(transcript_id)),
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


# --- reading and revoking -----------------------------------------------------------------


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


def _summary(row: Any) -> TranscriptSummary:
    return TranscriptSummary(
        row.id,
        row.code,
        row.language,
        row.issued_at,
        row.valid_until,
        row.record_count,
        row.revoked_at,
        row.revoked_reason,
    )


def list_transcripts(connection: Connection, learner_id: str) -> list[TranscriptSummary]:
    """The learner's transcripts, newest first."""
    rows = connection.execute(
        select(transcript_t)
        .where(transcript_t.c.learner == learner_id)
        .order_by(transcript_t.c.issued_at.desc(), transcript_t.c.id)
    )
    return [_summary(row) for row in rows]


def _row(connection: Connection, transcript_id: str, learner_id: str | None) -> Any:
    row = connection.execute(select(transcript_t).where(transcript_t.c.id == transcript_id)).first()
    # Another learner's transcript answers as a missing one: no probing for ids.
    if row is None or (learner_id is not None and row.learner != learner_id):
        raise NotFound(f"no transcript {transcript_id!r}")
    return row


def _credential(services: Services, row: Any) -> dict[str, Any]:
    text = services.sealer.open(row.credential_sealed, context=_seal_context(row.id))
    credential: dict[str, Any] = json.loads(text)
    return credential


def read_transcript(
    services: Services, transcript_id: str, learner_id: str | None
) -> tuple[TranscriptSummary, dict[str, Any]]:
    """A transcript and its credential (only the learner's own when ``learner_id`` is given)."""
    with read_connection(services.engine) as connection:
        row = _row(connection, transcript_id, learner_id)
    return _summary(row), _credential(services, row)


def find_by_code(services: Services, code: str) -> tuple[TranscriptSummary, dict[str, Any]]:
    """The transcript an online verification code names."""
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    with read_connection(services.engine) as connection:
        row = connection.execute(
            select(transcript_t).where(transcript_t.c.code == normalised)
        ).first()
    if row is None:
        raise NotFound("no transcript has this verification code")
    return _summary(row), _credential(services, row)


def revoke_transcript(
    services: Services, transcript_id: str, learner_id: str, *, reason: str, now: datetime
) -> TranscriptSummary:
    """The learner revokes one of their transcripts."""
    with services.ledger.transaction() as tx:
        row = tx.connection.execute(
            select(transcript_t).where(transcript_t.c.id == transcript_id).with_for_update()
        ).first()
        if row is None or row.learner != learner_id:
            raise NotFound(f"no transcript {transcript_id!r}")
        if row.revoked_at is not None:
            raise Conflict(f"transcript {transcript_id} was already revoked")
        mark_revoked(tx, transcript_id, reason=reason, actor="learner", now=now)
        return _summary(_row(tx.connection, transcript_id, learner_id))


# --- status lists -------------------------------------------------------------------------


def _revoked_indices(connection: Connection, list_id: int) -> list[int]:
    return sorted(
        connection.execute(
            select(transcript_t.c.status_index).where(
                transcript_t.c.status_list == list_id, transcript_t.c.revoked_at.is_not(None)
            )
        ).scalars()
    )


def _refresh_list(services: Services, list_id: int, now: datetime) -> tuple[dict[str, Any], bool]:
    with write_transaction(services.engine) as connection:
        row = connection.execute(
            select(status_list_t).where(status_list_t.c.id == list_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no status list {list_id}")
        revoked = _revoked_indices(connection, list_id)
        the_issuer = issuer(services)
        digest = hashlib.sha256(
            json.dumps([revoked, the_issuer.method_id]).encode("ascii")
        ).hexdigest()
        if row.credential is not None and row.signed_digest == digest:
            stored: dict[str, Any] = json.loads(row.credential)
            return stored, False
        credential = status.status_list_credential(
            public_url=the_issuer.public_url,
            list_id=list_id,
            revoked=revoked,
            issuer=the_issuer.did,
            method_id=the_issuer.method_id,
            private_key=the_issuer.private_key,
            now=now.replace(microsecond=0),
        )
        connection.execute(
            update(status_list_t)
            .where(status_list_t.c.id == list_id)
            .values(signed_digest=digest, credential=json.dumps(credential), signed_at=now)
        )
        return credential, True


def status_list_document(services: Services, list_id: int, *, now: datetime) -> dict[str, Any]:
    """The signed status list credential, re-signed first if a revocation changed it."""
    return _refresh_list(services, list_id, now)[0]


def refresh_status_lists(services: Services, *, now: datetime | None = None) -> int:
    """Re-sign every status list whose bits (or signing key) changed; return how many.

    For the scheduler: serving a list refreshes it too, so this only keeps lists warm and
    re-signs them after a key rotation.
    """
    from creditbank.clock import utc_now  # noqa: PLC0415 - the core takes ``now``; jobs may not

    moment = now or utc_now()
    with read_connection(services.engine) as connection:
        ids = list(
            connection.execute(select(status_list_t.c.id).order_by(status_list_t.c.id)).scalars()
        )
    return sum(1 for list_id in ids if _refresh_list(services, list_id, moment)[1])


# --- online verification ------------------------------------------------------------------


def _consistency(services: Services) -> Any:
    def check(checkpoint: Checkpoint) -> str | None:
        latest = services.ledger.current_checkpoint()
        if checkpoint.size > latest.size:
            return f"the checkpoint's size {checkpoint.size} exceeds the log's {latest.size}"
        if checkpoint.size == 0:
            return "the checkpoint is of the empty tree"
        proof = services.ledger.consistency_proof(checkpoint.size, latest.size)
        try:
            verify_consistency(
                checkpoint.size, latest.size, checkpoint.root_hash, latest.root_hash, proof
            )
        except Exception as exc:
            return f"the checkpoint is not a prefix of the bank's latest: {exc}"
        return None

    return check


def _status_fetcher(services: Services, now: datetime) -> Any:
    prefix = status.list_url(services.settings.public_url, 0)[:-1]

    def fetch(url: str) -> Mapping[str, Any]:
        list_id = natural(url[len(prefix) :], high=status.MAX_LIST_ID)
        if not url.startswith(prefix) or list_id is None:
            raise NotFound(f"{url} is not one of this bank's status lists")
        return status_list_document(services, list_id, now=now)

    return fetch


def online_trust(services: Services, *, now: datetime, require_witnesses: int = 0) -> Trust:
    """Everything the bank itself knows, for verifying online."""
    witness_keys = tuple(services.settings.witness_keys)
    if require_witnesses > len(witness_keys):
        raise InvalidInput(
            f"cannot require {require_witnesses} witness cosignatures: "
            f"this bank has {len(witness_keys)} witnesses",
            problems=[FieldProblem("require_witnesses", f"at most {len(witness_keys)}")],
        )
    return Trust(
        keys=trusted_keys(services),
        log_verifiers=services.ledger.keyring.verifiers(),
        log_origin=services.ledger.origin,
        now=now,
        status_list=_status_fetcher(services, now),
        consistency=_consistency(services),
        witness_keys=witness_keys,
        require_witnesses=require_witnesses,
    )


def verify_online(
    services: Services, credential: Any, *, now: datetime, require_witnesses: int = 0
) -> Report:
    """Verify a transcript with the bank's own keys, latest checkpoint and status lists.

    ``require_witnesses`` of the bank's configured witnesses must have cosigned its checkpoint.
    """
    trust = online_trust(services, now=now, require_witnesses=require_witnesses)
    return verify_transcript(credential, trust)
