"""Posting outcome records in all-or-nothing, idempotent batches; correcting and revoking them.

Every accepted change is a ledger entry in the same transaction as its rows, so a record
exists exactly when its entry does. The entry's (private) payload holds the record id, the
learner id, the outcome and, for signed batches, the institution's signature over the body.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from creditbank.canonical import canonical_json
from creditbank.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.institutions.service import (
    BatchSignature,
    check_batch_signature,
    require_member,
)
from creditbank.learners.data_keys import Vault, vault
from creditbank.learners.service import unpostable_learners
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.group import IndexedWrite, Submission
from creditbank.ledger.sequencer import AppendResult, NewEntry, seal_entries
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.records.authorship import Authorship, check_authorship
from creditbank.records.contents import load_content, seal_content
from creditbank.records.dependents import RevokeDependents
from creditbank.records.outcomes import Outcome
from creditbank.records.signed_items import SignedItems
from creditbank.records.tables import Batch, OutcomeRecord, RecordVersion
from creditbank.storage.batched_writes import Insert, Update
from creditbank.storage.database import bulk_insert, read_connection

batch_t = Batch.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
version_t = RecordVersion.__table__  # type: ignore[attr-defined]

_IN_CHUNK = 500  # stays under SQLite's bound-parameter limit
# The most records one posted batch may hold; a larger one is refused whole, unread.
MAX_BATCH_RECORDS = 10_000


class RecordStatus(StrEnum):
    """Where a record stands."""

    ACTIVE = "active"
    REVOKED = "revoked"


class Action(StrEnum):
    """What a version did."""

    POSTED = "posted"
    CORRECTED = "corrected"
    REVOKED = "revoked"
    MOVED = "moved"  # to the account a learner's two accounts were merged into


@dataclass(frozen=True)
class NewRecord:
    """One validated item of a batch: whose outcome it is, and the outcome."""

    learner_id: str
    outcome: Outcome
    external_id: str | None = None


@dataclass(frozen=True)
class BatchRequest:
    """A posting request as the service sees it, after validation at the edge."""

    institution: str
    client: str
    idempotency_key: str
    body: bytes
    records: Sequence[NewRecord]
    signature: BatchSignature | None = None

    @property
    def request_hash(self) -> str:
        """SHA-256 of the exact body: the same key with another body is a conflict."""
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class BatchAnswer:
    """The answer to a posting request; ``replayed`` when an earlier answer is repeated."""

    body: Mapping[str, Any]
    replayed: bool


def _replay(connection: Connection, request: BatchRequest) -> BatchAnswer | None:
    row = connection.execute(
        select(batch_t.c.request_hash, batch_t.c.response).where(
            batch_t.c.institution == request.institution,
            batch_t.c.idempotency_key == request.idempotency_key,
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != request.request_hash:
        raise Conflict(
            f"Idempotency-Key {request.idempotency_key!r} was already used with another body"
        )
    return BatchAnswer(json.loads(row.response), replayed=True)


def _missing_learners(connection: Connection, records: Sequence[NewRecord]) -> list[FieldProblem]:
    reasons = unpostable_learners(connection, [record.learner_id for record in records])
    return [
        FieldProblem("learner_id", reasons[record.learner_id], index)
        for index, record in enumerate(records)
        if record.learner_id in reasons
    ]


def _taken_external_ids(
    connection: Connection, institution: str, records: Sequence[NewRecord], *, stored: bool
) -> list[FieldProblem]:
    """Items whose ``external_id`` repeats an earlier item or, when ``stored``, a posted record."""
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        if record.external_id is None:
            continue
        if record.external_id in seen:
            problems.append(
                FieldProblem("external_id", f"repeats item {seen[record.external_id]}", index)
            )
        seen.setdefault(record.external_id, index)
    taken = existing_external_ids(connection, institution, sorted(seen)) if stored else set()
    problems += [
        FieldProblem("external_id", f"{record.external_id!r} was already posted", index)
        for index, record in enumerate(records)
        if record.external_id in taken
    ]
    return sorted(problems, key=lambda p: p.index or 0)


def existing_external_ids(
    connection: Connection, institution: str, external_ids: Sequence[str]
) -> set[str]:
    """Return those of ``external_ids`` the institution has already posted."""
    found: set[str] = set()
    for start in range(0, len(external_ids), _IN_CHUNK):
        chunk = list(external_ids[start : start + _IN_CHUNK])
        found.update(
            connection.execute(
                select(record_t.c.external_id).where(
                    record_t.c.institution == institution, record_t.c.external_id.in_(chunk)
                )
            ).scalars()
        )
    return found


def _refuse_unknown_and_taken(
    connection: Connection, request: BatchRequest, *, stored: bool
) -> None:
    """Refuse records naming no postable learner, or repeating an ``external_id``.

    Before posting (``stored`` false) only repeats within the batch are looked for: the
    unique index on (institution, ``external_id``) refuses one already posted as the rows are
    written, so asking first would cost every batch a query to spare a rare conflict one.
    After that refusal (``stored`` true) the posted ones are looked up to be named.
    """
    problems = _missing_learners(connection, request.records)
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(request.records)} records name no learner account "
            "an institution verified",
            problems=problems,
        )
    taken = _taken_external_ids(connection, request.institution, request.records, stored=stored)
    if taken:
        raise Conflict(
            f"{len(taken)} records repeat an external_id; nothing was posted",
            extra={"errors": [problem.as_dict() for problem in taken]},
        )


def post_batch(ledger: Ledger, request: BatchRequest, *, now: datetime) -> BatchAnswer:
    """Post every record of the batch, or none; repeat the first answer for a retried key.

    The batch's signature is checked first, whichever door the batch came through: an
    institution that requires signed batches gets none posted unsigned (403). Then each
    outcome's source: the poster itself, or a member that delegated that kind to it
    (:func:`~creditbank.records.authorship.check_authorship`), checked again in the writing
    transaction.

    Only ordering waits for the sequencer: the checks read a snapshot outside any write
    transaction, the entries are sealed in memory, and the batch and record rows are written
    in the group commit's transaction before the head is locked (see ``ledger/group.py``);
    under the lock come only the log's rows, the versions (which carry the indices) and the
    batch row's answer. The unique Idempotency-Key and ``external_id`` indexes settle any race
    the snapshot could not see.
    """
    items = None
    signed_bytes = request.body
    if request.signature is not None and request.signature.over_items:
        items = SignedItems.of_body(request.body)
        if len(items.items) != len(request.records):
            raise InvalidInput(
                "the signed items are not the batch's records",
                problems=[FieldProblem("records", "must be the items that were signed")],
            )
        signed_bytes = items.message(request.institution)
    with read_connection(ledger.engine) as connection:
        key = check_batch_signature(
            connection, request.institution, signed_bytes, request.signature
        )
        replay = _replay(connection, request)
        if replay is not None:
            return replay
        authorship = check_authorship(
            connection,
            request.institution,
            [record.outcome for record in request.records],
            now=now,
        )
        _refuse_unknown_and_taken(connection, request, stored=False)

    def signed(position: int) -> dict[str, Any] | None:
        if request.signature is None or key is None:
            return None
        if items is None:
            return {
                "body_sha256": request.request_hash,
                "key_id": request.signature.key_id,
                "signature": request.signature.signature_b64,
            }
        return {
            "key_id": key.key_id,
            "key_index": key.added_index,
            "signature": request.signature.signature_b64,
            **items.committed(position),
        }

    posting = _Posting.of(request, now, tuple(authorship), signed)
    try:
        result = ledger.submit(
            Submission(seal_entries(posting.entries, now=now), posting.stage, posting.finish)
        )
    except IntegrityError:
        # A concurrent request took the key or an external_id first: answer as it did, or
        # name the records it took.
        with read_connection(ledger.engine) as connection:
            replay = _replay(connection, request)
            if replay is not None:
                return replay
            _refuse_unknown_and_taken(connection, request, stored=True)
        raise
    return BatchAnswer(posting.answer(result), replayed=False)


@dataclass(frozen=True)
class _Posting:
    """One batch's rows and entries, built before it reaches the sequencer."""

    request: BatchRequest
    batch_id: str
    record_ids: tuple[str, ...]
    entries: tuple[NewEntry, ...]
    contents: tuple[str, ...]
    now: datetime
    authorship: tuple[Authorship, ...]
    # The contents sealed under each learner's key, in ``stage`` (it has the transaction).
    sealed: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        request: BatchRequest,
        now: datetime,
        authorship: tuple[Authorship, ...],
        signed: Callable[[int], dict[str, Any] | None],
    ) -> _Posting:
        """One ``record.posted`` entry per record; a delegated one commits its delegation."""
        batch_id = str(uuid.uuid4())
        record_ids = tuple(str(uuid.uuid4()) for _ in request.records)
        entries = []
        contents = []
        actor = f"institution:{request.institution}"
        for position, (record_id, record, author) in enumerate(
            zip(record_ids, request.records, authorship, strict=True)
        ):
            outcome = record.outcome.to_payload()
            payload: dict[str, Any] = {
                "record": record_id,
                "version": 1,
                "learner": record.learner_id,
                "institution": request.institution,
                "outcome": outcome,
                "batch": batch_id,
                "position": position,
            }
            if record.external_id is not None:
                payload["external_id"] = record.external_id
            signature = signed(position)
            if signature is not None:
                payload["signed_batch"] = signature
            delegation = author.payload()
            if delegation is not None:
                payload["delegation"] = delegation
            entries.append(NewEntry(EntryKind.RECORD_POSTED, actor, payload))
            contents.append(canonical_json(outcome).decode("utf-8"))
        return cls(request, batch_id, record_ids, tuple(entries), tuple(contents), now, authorship)

    def stage(self, connection: Connection) -> dict[str, bytes]:
        """Before the lock: the batch row (its answer still to come) and the record rows.

        The sources are checked again in this transaction: a delegation ended since the
        snapshot refuses the batch (403) or, replaced meanwhile, asks for a retry (409).
        Returns the learners' data keys the contents were sealed under (their entries'
        openings are sealed under the same keys).
        """
        request = self.request
        again = check_authorship(
            connection, request.institution, [r.outcome for r in request.records], now=self.now
        )
        if tuple(again) != self.authorship:
            raise Conflict("a delegation this batch relies on changed while posting: post again")
        connection.execute(
            insert(batch_t).values(
                id=self.batch_id,
                institution=request.institution,
                idempotency_key=request.idempotency_key,
                request_hash=request.request_hash,
                signing_key=None if request.signature is None else request.signature.key_id,
                signature=None if request.signature is None else request.signature.signature_b64,
                posted_by=request.client,
                posted_at=self.now,
                record_count=len(self.record_ids),
                first_index=-1,
                size_after=-1,
                response="",
            )
        )
        box = vault(connection)
        box.prefetch({record.learner_id for record in request.records})
        self.sealed[:] = [
            seal_content(box, record.learner_id, record_id, 1, content)
            for record_id, record, content in zip(
                self.record_ids, request.records, self.contents, strict=True
            )
        ]
        bulk_insert(
            connection,
            record_t,
            [
                {
                    "id": record_id,
                    "learner": record.learner_id,
                    "institution": request.institution,
                    "source": author.source,
                    "delegation": None if author.delegation is None else author.delegation.id,
                    "kind": record.outcome.kind.value,
                    "status": RecordStatus.ACTIVE.value,
                    "version": 1,
                    "posted_at": self.now,
                    "updated_at": self.now,
                    "batch": self.batch_id,
                    "external_id": record.external_id,
                }
                for record_id, record, author in zip(
                    self.record_ids, request.records, self.authorship, strict=True
                )
            ],
        )
        return box.known_keys()

    def answer(self, result: AppendResult) -> dict[str, Any]:
        """The answer to the institution: each record's id and log index."""
        return {
            "batch": self.batch_id,
            "records": [
                {"id": record_id, "index": index}
                for record_id, index in zip(self.record_ids, result.indices, strict=True)
            ],
            "size": result.size,
        }

    def finish(self, result: AppendResult) -> list[IndexedWrite]:
        """Under the lock: the versions, which carry the indices, and the batch's answer."""
        now = self.now
        versions = [
            {
                "record": record_id,
                "version": 1,
                "action": Action.POSTED.value,
                "content": content,
                "reason": None,
                "recorded_at": now,
                "ledger_index": index,
            }
            for record_id, content, index in zip(
                self.record_ids, self.sealed, result.indices, strict=True
            )
        ]
        batch = {
            "id": self.batch_id,
            "first_index": result.first_index,
            "size_after": result.size,
            "response": json.dumps(self.answer(result)),
        }
        return [Insert(version_t, versions), Update(batch_t, "id", [batch])]


# --- corrections and revocations ------------------------------------------------------------


@dataclass(frozen=True)
class RecordVersionView:
    """One version of a record."""

    version: int
    action: Action
    content: Mapping[str, Any]
    reason: str | None
    recorded_at: datetime
    ledger_index: int


@dataclass(frozen=True)
class RecordView:
    """A record as it stands, with its history when asked for.

    ``institution`` posted it; ``source`` is the member it is from (the poster, or the
    delegator of ``delegation``).
    """

    id: str
    learner: str
    institution: str
    source: str
    delegation: str | None
    kind: str
    status: RecordStatus
    version: int
    posted_at: datetime
    updated_at: datetime
    current: RecordVersionView
    history: tuple[RecordVersionView, ...]


def _lock_record(connection: Connection, record_id: str) -> Any:
    row = connection.execute(
        select(record_t).where(record_t.c.id == record_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no record {record_id!r}")
    return row


def _change(
    ledger: Ledger,
    record_id: str,
    *,
    institution: str,
    action: Action,
    outcome: Outcome | None,
    reason: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> RecordView:
    with ledger.transaction() as tx:
        return change_record(
            tx,
            record_id,
            institution=institution,
            action=action,
            outcome=outcome,
            reason=reason,
            now=now,
            revoke_dependents=revoke_dependents,
        )


def change_record(
    tx: LedgerTransaction,
    record_id: str,
    *,
    institution: str,
    action: Action,
    outcome: Outcome | None,
    reason: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> RecordView:
    """Correct (``outcome`` given) or revoke a record in the caller's ledger transaction.

    The one step behind :func:`correct_record` and :func:`revoke_record`, for a use case that
    must change a record together with entries of its own (an answered correction request).
    """
    row = _lock_record(tx.connection, record_id)
    if row.institution != institution:
        raise Forbidden(
            f"record {record_id} was posted by {row.institution}; only it may change it"
        )
    if row.status == RecordStatus.REVOKED:
        raise Conflict(f"record {record_id} is revoked; it cannot change any more")
    require_member(tx.connection, institution)
    if outcome is not None and outcome.kind.value != row.kind:
        raise InvalidInput(
            f"a {row.kind} record cannot be corrected into a {outcome.kind.value}",
            problems=[FieldProblem("kind", f"must stay {row.kind!r}")],
        )
    previous = tx.connection.execute(
        select(version_t).where(version_t.c.record == record_id, version_t.c.version == row.version)
    ).one()
    version = row.version + 1
    box = vault(tx.connection)
    content = (
        load_content(box, row.learner, record_id, previous.version, previous.content)
        if outcome is None
        else outcome.to_payload()
    )
    kind = EntryKind.RECORD_CORRECTED if action is Action.CORRECTED else EntryKind.RECORD_REVOKED
    payload: dict[str, Any] = {
        "record": record_id,
        "version": version,
        "learner": row.learner,
        "institution": institution,
        "supersedes": previous.ledger_index,
        "reason": reason,
    }
    authorship = None
    if outcome is not None:
        payload["outcome"] = content
        authorship = check_authorship(tx.connection, institution, [outcome], now=now)[0]
        delegation = authorship.payload()
        if delegation is not None:
            payload["delegation"] = delegation
    index = tx.record(kind, f"institution:{institution}", payload, now=now)
    status = RecordStatus.REVOKED if action is Action.REVOKED else RecordStatus.ACTIVE
    tx.connection.execute(
        insert(version_t).values(
            record=record_id,
            version=version,
            action=action.value,
            content=seal_content(
                box, row.learner, record_id, version, canonical_json(content).decode("utf-8")
            ),
            reason=reason,
            recorded_at=now,
            ledger_index=index,
        )
    )
    changed: dict[str, Any] = {"version": version, "status": status.value, "updated_at": now}
    if authorship is not None:
        changed["source"] = authorship.source
        changed["delegation"] = None if authorship.delegation is None else authorship.delegation.id
    tx.connection.execute(update(record_t).where(record_t.c.id == record_id).values(changed))
    # A transcript showing the old content must not outlive the change.
    revoke_dependents(
        tx,
        record_id,
        reason=f"record {record_id} {action.value}",
        actor=f"institution:{institution}",
        now=now,
    )
    return read_record(tx.connection, record_id, history=True)


def correct_record(
    ledger: Ledger,
    record_id: str,
    outcome: Outcome,
    *,
    institution: str,
    reason: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> RecordView:
    """Replace a record's content with a corrected outcome, as a new entry citing the old.

    ``revoke_dependents`` revokes, in the same transaction, what disclosed the old content.
    """
    return _change(
        ledger,
        record_id,
        institution=institution,
        action=Action.CORRECTED,
        outcome=outcome,
        reason=reason,
        now=now,
        revoke_dependents=revoke_dependents,
    )


def revoke_record(
    ledger: Ledger,
    record_id: str,
    *,
    institution: str,
    reason: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> RecordView:
    """Revoke a record: it stays in the log and the history, marked revoked.

    ``revoke_dependents`` revokes, in the same transaction, what disclosed the record.
    """
    return _change(
        ledger,
        record_id,
        institution=institution,
        action=Action.REVOKED,
        outcome=None,
        reason=reason,
        now=now,
        revoke_dependents=revoke_dependents,
    )


# --- reading --------------------------------------------------------------------------------


def _version_view(box: Vault, learner: str, row: Any) -> RecordVersionView:
    return RecordVersionView(
        row.version,
        Action(row.action),
        load_content(box, learner, row.record, row.version, row.content),
        row.reason,
        row.recorded_at,
        row.ledger_index,
    )


def _view(row: Any, versions: Sequence[RecordVersionView], history: bool) -> RecordView:
    current = next(v for v in versions if v.version == row.version)
    return RecordView(
        row.id,
        row.learner,
        row.institution,
        row.source,
        row.delegation,
        row.kind,
        RecordStatus(row.status),
        row.version,
        row.posted_at,
        row.updated_at,
        current,
        tuple(versions) if history else (),
    )


def read_record(connection: Connection, record_id: str, *, history: bool = False) -> RecordView:
    """Return a record's current state, and every version when ``history``."""
    row = connection.execute(select(record_t).where(record_t.c.id == record_id)).first()
    if row is None:
        raise NotFound(f"no record {record_id!r}")
    query = select(version_t).where(version_t.c.record == record_id)
    if not history:
        query = query.where(version_t.c.version == row.version)
    box = vault(connection)
    versions = [
        _version_view(box, row.learner, v)
        for v in connection.execute(query.order_by(version_t.c.version))
    ]
    return _view(row, versions, history)


def learner_records(
    connection: Connection, learner_id: str, *, institution: str | None = None
) -> list[RecordView]:
    """Return a learner's records as they stand (optionally only one institution's)."""
    query = select(record_t).where(record_t.c.learner == learner_id)
    if institution is not None:
        query = query.where(record_t.c.institution == institution)
    rows = connection.execute(query.order_by(record_t.c.posted_at, record_t.c.id)).all()
    if not rows:
        return []
    current = {}
    box = vault(connection)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        for v in connection.execute(
            select(version_t)
            .join(
                record_t,
                (record_t.c.id == version_t.c.record) & (record_t.c.version == version_t.c.version),
            )
            .where(version_t.c.record.in_(chunk))
        ):
            current[v.record] = _version_view(box, learner_id, v)
    return [_view(row, [current[row.id]], False) for row in rows]


@dataclass(frozen=True)
class BatchView:
    """A posted batch: when, how many records, and where its entries sit in the log."""

    id: str
    posted_at: datetime
    posted_by: str
    record_count: int
    first_index: int
    size_after: int
    signed: bool


def list_batches(connection: Connection, institution: str, *, limit: int = 50) -> list[BatchView]:
    """An institution's most recent batches, newest first."""
    rows = connection.execute(
        select(batch_t)
        .where(batch_t.c.institution == institution)
        .order_by(batch_t.c.first_index.desc())
        .limit(limit)
    )
    return [
        BatchView(
            row.id,
            row.posted_at,
            row.posted_by,
            row.record_count,
            row.first_index,
            row.size_after,
            row.signature is not None,
        )
        for row in rows
    ]


def recent_records(
    connection: Connection, institution: str, *, limit: int = 50
) -> list[RecordView]:
    """The records an institution posted most recently, as they stand."""
    ids = connection.execute(
        select(record_t.c.id)
        .where(record_t.c.institution == institution)
        .order_by(record_t.c.updated_at.desc(), record_t.c.id)
        .limit(limit)
    ).scalars()
    return [read_record(connection, record_id) for record_id in list(ids)]
