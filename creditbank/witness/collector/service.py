"""Collecting witness cosignatures and serving cosigned checkpoints.

Witnesses pull the bank-signed checkpoint, and push back the same note with their cosignature
line (``POST /api/v1/log/cosignatures``). Only the configured witnesses are accepted, each line
is verified before anything is stored, and a bad line refuses the whole submission.
The bank-signed note at ``GET /api/v1/log/checkpoint`` never changes; the cosigned note is that
note with the cosignature lines appended, which every signed-note verifier still accepts (lines
by keys it does not know are ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from creditbank.errors import (
    CosignatureInvalid,
    InvalidInput,
    NotFound,
    UnknownWitness,
)
from creditbank.ledger.checkpoint import Checkpoint, parse_checkpoint
from creditbank.ledger.note import MAX_SIGNATURES, parse_note
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import StoredCheckpoint, checkpoint_t
from creditbank.storage.database import read_connection, write_transaction
from creditbank.witness.collector.tables import cosignature_t
from creditbank.witness.cosignature import Cosignature, CosignerKey, parse_cosigner_key

# How far ahead of the bank's clock a cosignature's time may be (clocks drift).
MAX_CLOCK_SKEW_SECONDS = 300


@dataclass(frozen=True)
class Accepted:
    """What a submission added: the checkpoint and the witnesses whose cosignatures it holds."""

    size: int
    root_hash: bytes
    cosignatures: tuple[Cosignature, ...]


@dataclass(frozen=True)
class WitnessStatus:
    """A configured witness and the largest checkpoint it cosigned (if any)."""

    key: CosignerKey
    size: int | None
    timestamp: int | None
    received_at: datetime | None


@dataclass(frozen=True)
class CosignedNote:
    """A checkpoint note with the cosignature lines the bank holds for it."""

    size: int
    note: str
    witnesses: tuple[str, ...]


class Witnesses:
    """The bank's configured witnesses over the log's database."""

    def __init__(self, ledger: Ledger, keys: Sequence[CosignerKey]) -> None:
        self.ledger = ledger
        self.keys = tuple(dict.fromkeys(keys))
        self._by_label = {key.label: key for key in self.keys}

    @property
    def labels(self) -> list[str]:
        """``<name>+<hex key id>`` of every configured witness, in configuration order."""
        return list(self._by_label)

    # --- accepting --------------------------------------------------------------------------

    def accept(self, submitted: str, *, now: datetime | None = None) -> Accepted:
        """Verify and store the cosignatures on a submitted checkpoint note.

        1. The note parses and its body is a checkpoint of this log that the bank published.
        2. Every signature line is the log's own or a configured witness's (else
        UnknownWitness); every witness line is a valid cosignature/v1 on that body, not dated
        in the future (else CosignatureInvalid); there is at least one. 3. Each witness's row
        for that size keeps the newest time. Nothing is stored unless every check passes.
        """
        moment = now or datetime.now(UTC)
        note = parse_note(submitted)
        checkpoint = parse_checkpoint(note.text)
        if checkpoint.origin != self.ledger.origin:
            raise NotFound(f"this bank's log is {self.ledger.origin!r}, not {checkpoint.origin!r}")
        if checkpoint.extensions:
            raise InvalidInput("this bank's checkpoints have no extension lines; this one has")
        log_keys = {(v.name, v.key_id) for v in self.ledger.keyring.verifiers()}
        found: dict[str, Cosignature] = {}
        for signature in note.signatures:
            if (signature.name, signature.key_id) in log_keys:
                continue  # the bank's own signature, already checked when it was published
            witness = self._by_label.get(signature.label)
            if witness is None:
                raise UnknownWitness(
                    f"signature by {signature.label} is not from a witness this bank accepts"
                )
            cosignature = witness.verify(note.text, signature)
            if cosignature.timestamp > moment.timestamp() + MAX_CLOCK_SKEW_SECONDS:
                raise CosignatureInvalid(
                    f"cosignature by {witness.label} is dated {cosignature.timestamp}, "
                    f"in the future (bank time {int(moment.timestamp())})"
                )
            previous = found.get(witness.label)
            if previous is None or previous.timestamp < cosignature.timestamp:
                found[witness.label] = cosignature
        if not found:
            raise InvalidInput("the submitted checkpoint carries no witness cosignature")
        for attempt in range(2):
            try:
                self._store(checkpoint, found, moment)
                break
            except IntegrityError:
                # The same witness's row was inserted concurrently; the retry compares times.
                if attempt:
                    raise
        return Accepted(checkpoint.size, checkpoint.root_hash, tuple(found.values()))

    def _store(
        self, checkpoint: Checkpoint, found: dict[str, Cosignature], moment: datetime
    ) -> None:
        with write_transaction(self.ledger.engine) as connection:
            if _stored(connection, checkpoint.size, checkpoint.root_hash) is None:
                raise NotFound(
                    f"this bank published no checkpoint of size {checkpoint.size} with that root"
                )
            for label, cosignature in found.items():
                _keep_newest(connection, label, checkpoint, cosignature, moment)

    # --- serving ----------------------------------------------------------------------------

    def cosigned(self, *, minimum: int = 1) -> CosignedNote | None:
        """Return the largest checkpoint cosigned by at least ``minimum`` configured witnesses."""
        with read_connection(self.ledger.engine) as connection:
            counts = _counts(connection, self.labels)
            sizes = [size for size, count in counts.items() if count >= minimum]
            return None if not sizes else self._note(connection, max(sizes))

    def covering(self, size: int) -> CosignedNote | None:
        """Return the best cosigned checkpoint of at least ``size`` entries, for a transcript.

        Best is cosigned by the most configured witnesses, the largest among equals, so a
        verifier requiring k witnesses is best served.
        """
        with read_connection(self.ledger.engine) as connection:
            counts = {s: c for s, c in _counts(connection, self.labels).items() if s >= size}
            if not counts:
                return None
            best = max(counts, key=lambda s: (counts[s], s))
            return self._note(connection, best)

    def status(self) -> list[WitnessStatus]:
        """Return every configured witness with its latest cosigned size and time."""
        out: list[WitnessStatus] = []
        with read_connection(self.ledger.engine) as connection:
            for key in self.keys:
                row = connection.execute(
                    select(cosignature_t)
                    .where(cosignature_t.c.witness == key.label)
                    .order_by(cosignature_t.c.size.desc())
                    .limit(1)
                ).one_or_none()
                if row is None:
                    out.append(WitnessStatus(key, None, None, None))
                else:
                    out.append(WitnessStatus(key, row.size, row.timestamp, row.received_at))
        return out

    def _note(self, connection: Connection, size: int) -> CosignedNote:
        stored = _latest_of_size(connection, size)
        if stored is None:  # a cosignature row always follows a stored checkpoint
            raise NotFound(f"no checkpoint of size {size}")
        rows = {
            row.witness: row.line
            for row in connection.execute(
                select(cosignature_t.c.witness, cosignature_t.c.line).where(
                    cosignature_t.c.size == size, cosignature_t.c.root_hash == stored.root_hash
                )
            )
        }
        witnesses = [label for label in self.labels if label in rows]
        room = MAX_SIGNATURES - len(parse_note(stored.note).signatures)
        witnesses = witnesses[:room]
        note = stored.note + "".join(rows[label] for label in witnesses)
        return CosignedNote(size, note, tuple(witnesses))


def _stored(connection: Connection, size: int, root_hash: bytes) -> int | None:
    return connection.execute(
        select(checkpoint_t.c.id)
        .where(checkpoint_t.c.size == size, checkpoint_t.c.root_hash == root_hash)
        .limit(1)
    ).scalar_one_or_none()


def _latest_of_size(connection: Connection, size: int) -> StoredCheckpoint | None:
    row = connection.execute(
        select(checkpoint_t)
        .where(checkpoint_t.c.size == size)
        .order_by(checkpoint_t.c.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return StoredCheckpoint(row.id, row.size, row.root_hash, row.note, row.created_at)


def _counts(connection: Connection, labels: Sequence[str]) -> dict[int, int]:
    if not labels:
        return {}
    rows = connection.execute(
        select(cosignature_t.c.size, func.count())
        .where(cosignature_t.c.witness.in_(list(labels)))
        .group_by(cosignature_t.c.size)
    )
    return {size: count for size, count in rows}


def _keep_newest(
    connection: Connection,
    label: str,
    checkpoint: Checkpoint,
    cosignature: Cosignature,
    now: datetime,
) -> None:
    values = {
        "root_hash": checkpoint.root_hash,
        "timestamp": cosignature.timestamp,
        "line": cosignature.line(),
        "received_at": now,
    }
    size = checkpoint.size
    key = (cosignature_t.c.size == size) & (cosignature_t.c.witness == label)
    existing = connection.execute(select(cosignature_t.c.timestamp).where(key)).one_or_none()
    if existing is None:
        connection.execute(insert(cosignature_t).values(size=size, witness=label, **values))
    elif existing.timestamp < cosignature.timestamp:
        connection.execute(update(cosignature_t).where(key).values(**values))


def witnesses_of(ledger: Ledger, keys: Sequence[str]) -> Witnesses:
    """Return the bank's witnesses from their configured vkeys."""
    return Witnesses(ledger, [parse_cosigner_key(key) for key in keys])
