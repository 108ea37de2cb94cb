"""Entry envelopes: what a leaf holds. An envelope commits to its payload, never carries it.

The leaf data is the RFC 8785 canonical JSON of::

    {"v": 1, "index": i, "kind": "...", "time": "...Z", "actor": "...",
     "prev": hex(leaf hash of entry i-1, or 32 zero bytes),
     "commitment": hex(SHA-256(salt ‖ payload))}

where ``payload`` is the canonical JSON of the entry's content. The salt is random per entry so
that a guessable payload (a grade, a date) cannot be confirmed from the public log.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from creditbank.canonical import PlainObject, canonical_json, is_plain
from creditbank.errors import InvalidInput, LedgerError
from creditbank.ledger.hashing import HASH_SIZE

FORMAT_VERSION = 1
SALT_SIZE = 32
GENESIS_PREV = bytes(HASH_SIZE)
# Actors are public: institution codes, operators' key ids or role names, never a person's
# identity.
_ACTOR = re.compile(r"^[a-z]+(:[A-Za-z0-9._-]{1,64})?$")
_MAX_SAFE_INT = 2**53 - 1
MAX_INDEX = _MAX_SAFE_INT
"""The largest index an envelope can carry (RFC 8785 numbers are IEEE 754 doubles)."""
_ENVELOPE_KEYS = frozenset({"v", "index", "kind", "time", "actor", "prev", "commitment"})


class EntryKind(StrEnum):
    """Every kind of state change the bank records."""

    INSTITUTION_REGISTERED = "institution.registered"
    INSTITUTION_KEY_ADDED = "institution.key_added"
    INSTITUTION_KEY_REVOKED = "institution.key_revoked"
    INSTITUTION_UPDATED = "institution.updated"
    INSTITUTION_LEFT = "institution.left"
    DELEGATION_GRANTED = "delegation.granted"
    DELEGATION_ENDED = "delegation.ended"
    LEARNER_OPENED = "learner.opened"
    LEARNER_REGISTRATION = "learner.registration"  # no longer written (0019); old logs hold it
    LEARNER_CLAIM_SET_ASIDE = "learner.claim_set_aside"
    LEARNER_MERGED = "learner.merged"
    LEARNER_CLOSED = "learner.closed"
    LEARNER_ERASED = "learner.erased"
    RETENTION_APPLIED = "retention.applied"
    RECORD_POSTED = "record.posted"
    RECORD_CORRECTED = "record.corrected"
    RECORD_REVOKED = "record.revoked"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    CONSENT_EXPIRED = "consent.expired"
    POLICY_PUBLISHED = "policy.published"
    EVALUATION_COMMITTED = "evaluation.committed"
    OVERRIDE_RECORDED = "override.recorded"
    TRANSFER_RECOGNISED = "transfer.recognised"
    TRANSFER_SUPERSEDED = "transfer.superseded"
    TRANSFER_UNDER_REVIEW = "transfer.under_review"
    TRANSFER_CONFIRMED = "transfer.confirmed"
    APPLICATION_STEP = "application.step"
    APPLICATION_OBJECTION = "application.objection"
    TRANSCRIPT_ISSUED = "transcript.issued"
    TRANSCRIPT_REVOKED = "transcript.revoked"
    LOG_KEY_ROTATED = "log.key_rotated"
    CLIENT_ISSUED = "client.issued"
    CLIENT_ACCEPTED = "client.accepted"
    CLIENT_REVOKED = "client.revoked"
    OPERATOR_SIGNED_IN = "operator.signed_in"
    ISSUER_KEY_ROTATED = "issuer.key_rotated"
    LEARNER_DATA_EXPORTED = "learner.data_exported"
    CORRECTION_REQUESTED = "correction.requested"
    CORRECTION_ANSWERED = "correction.answered"


def format_time(moment: datetime) -> str:
    """Render a UTC instant with millisecond precision, e.g. ``2026-11-22T08:00:00.000Z``."""
    if moment.tzinfo is None:
        raise InvalidInput("entry time must be timezone-aware")
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """Parse a time written by :func:`format_time`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def new_salt() -> bytes:
    """Return a fresh random salt for one entry."""
    return os.urandom(SALT_SIZE)


def commitment(salt: bytes, payload_bytes: bytes) -> bytes:
    """Return SHA-256(salt ‖ canonical payload bytes)."""
    return hashlib.sha256(salt + payload_bytes).digest()


@dataclass(frozen=True)
class Opening:
    """The salt and canonical payload bytes that open an entry's commitment."""

    salt: bytes
    payload_bytes: bytes

    @classmethod
    def seal(cls, payload: Mapping[str, Any], salt: bytes | None = None) -> Opening:
        """Canonicalise ``payload`` and pair it with a (fresh) salt."""
        return cls(
            salt=salt if salt is not None else new_salt(), payload_bytes=canonical_json(payload)
        )

    @property
    def commitment(self) -> bytes:
        """The commitment this opening opens."""
        return commitment(self.salt, self.payload_bytes)


@dataclass(frozen=True)
class Envelope:
    """The public content of one log entry."""

    index: int
    kind: str
    time: str
    actor: str
    prev: bytes
    commitment: bytes
    version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object that is canonicalised into the entry bytes."""
        return {
            "v": self.version,
            "index": self.index,
            "kind": self.kind,
            "time": self.time,
            "actor": self.actor,
            "prev": self.prev.hex(),
            "commitment": self.commitment.hex(),
        }

    def encode(self) -> bytes:
        """Return the entry bytes (the Merkle leaf data)."""
        # The hot path of every append: when every text field is plain printable ASCII (as
        # the kinds, actors and times the sequencer writes always are) the RFC 8785 form can
        # be written directly, keys in sorted order. Anything else goes through the encoder;
        # tests check both give the same bytes.
        if (
            type(self.index) is int
            and 0 <= self.index <= _MAX_SAFE_INT
            and self.version == FORMAT_VERSION
            and type(self.version) is int
            and is_plain(self.kind)
            and is_plain(self.actor)
            and is_plain(self.time)
        ):
            return encode_plain(
                self.index,
                kind=self.kind,
                time=self.time,
                actor=self.actor,
                prev=self.prev,
                commitment=self.commitment,
            )
        return canonical_json(self.to_json())


# The version-1 envelope's canonical form, filled per entry: (actor, commitment, index, kind,
# prev, time), the keys' RFC 8785 order.
_PLAIN_ENVELOPE = PlainObject(
    {
        "v": FORMAT_VERSION,
        "index": int,
        "kind": str,
        "time": str,
        "actor": str,
        "prev": str,
        "commitment": str,
    }
)


def encode_plain(
    index: int, *, kind: str, time: str, actor: str, prev: bytes, commitment: bytes
) -> bytes:
    """Return the entry bytes of a version-1 envelope, its canonical form filled in directly.

    Requires: ``0 <= index <= 2**53 - 1`` and :func:`~creditbank.canonical.is_plain` of
    ``kind``, ``time`` and ``actor`` (the sequencer checks these once per batch).
    """
    return _PLAIN_ENVELOPE.fill(actor, commitment.hex(), str(index), kind, prev.hex(), time)


def check_kind_and_actor(kind: str, actor: str) -> None:
    """Refuse an unknown entry kind or an actor that is not a public party name."""
    try:
        EntryKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown ledger entry kind {kind!r}") from None
    if not _ACTOR.match(actor):
        raise InvalidInput(
            f"ledger actor {actor!r} must look like 'institution:CODE', 'operator:KEY', 'bank' "
            "or 'learner'"
        )


def decode_envelope(data: bytes) -> Envelope:
    """Parse entry bytes strictly: known keys only, canonical form, well-formed hashes."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LedgerError(f"entry bytes are not JSON: {exc}") from None
    if not isinstance(obj, dict) or set(obj) != _ENVELOPE_KEYS:
        raise LedgerError("entry bytes do not hold exactly the envelope fields")
    try:
        envelope = Envelope(
            version=int(obj["v"]),
            index=int(obj["index"]),
            kind=str(obj["kind"]),
            time=str(obj["time"]),
            actor=str(obj["actor"]),
            prev=bytes.fromhex(obj["prev"]),
            commitment=bytes.fromhex(obj["commitment"]),
        )
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"malformed envelope field: {exc}") from None
    if len(envelope.prev) != HASH_SIZE or len(envelope.commitment) != HASH_SIZE:
        raise LedgerError("envelope hashes must be 32 bytes")
    if envelope.encode() != data:
        raise LedgerError("entry bytes are not in canonical form")
    return envelope
