"""Registering member institutions and recording their batch-signing keys.

Their API keys are :mod:`creditbank.institutions.clients`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from creditbank.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InstitutionLeft,
    InvalidInput,
    NotFound,
)
from creditbank.institutions.tables import Institution, InstitutionKey
from creditbank.ledger.envelope import EntryKind, format_time
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.storage.database import among
from creditbank.text import INSTITUTION_NAME, TextPolicy, TextRefused, line_policy

institution_t = Institution.__table__  # type: ignore[attr-defined]
key_t = InstitutionKey.__table__  # type: ignore[attr-defined]

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
CODE_RULE = "2-32 of A-Z, 0-9 and '-', starting alphanumeric"
INSTITUTION_KINDS = (
    "zhongzhi_school",
    "putong_gaozhong_school",  # 普通高中: 职普融通 moves credits between it and 中职
    "gaozhi_college",
    "university",
    "enterprise",
    "training_organisation",
    "evaluation_organisation",
)
LEVELS = ("zhongzhi", "putong_gaozhong", "gaozhi", "benke")


@dataclass(frozen=True)
class InstitutionInfo:
    """What registers an institution (validated at the edge)."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    level: str
    region: str
    require_signed_batches: bool = False


def institution_info(values: Mapping[str, str]) -> InstitutionInfo:
    """Check the fields of a new institution, with the reasons the API's schema gives.

    The web form and the ``creditbank institutions add`` command register through this; the
    API's schema states the same rules for its body and the OpenAPI document.
    """
    problems: list[FieldProblem] = []

    def text(name: str, policy: TextPolicy) -> str:
        value = values.get(name)
        if value is None:
            problems.append(FieldProblem(name, "Missing data for required field."))
            return ""
        try:
            return policy.clean(value)
        except TextRefused as exc:
            problems.append(FieldProblem(name, str(exc)))
            return value

    def choice(name: str, choices: tuple[str, ...]) -> str:
        value = values.get(name)
        if value is None:
            problems.append(FieldProblem(name, "Missing data for required field."))
            return ""
        if value not in choices:
            problems.append(FieldProblem(name, f"Must be one of: {', '.join(choices)}."))
        return value

    code = values.get("code")
    if code is None:
        problems.append(FieldProblem("code", "Missing data for required field."))
    elif not CODE_PATTERN.match(code):
        problems.append(FieldProblem("code", CODE_RULE))
    info = InstitutionInfo(
        code=code or "",
        name_zh=text("name_zh", INSTITUTION_NAME),
        name_en=text("name_en", INSTITUTION_NAME),
        kind=choice("kind", INSTITUTION_KINDS),
        level=choice("level", LEVELS),
        region=text("region", line_policy(32)),
    )
    if problems:
        raise InvalidInput(
            "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), problems=problems
        )
    return info


@dataclass(frozen=True)
class RegisteredInstitution:
    """An institution as stored, with the index of the entry that registered it."""

    info: InstitutionInfo
    registered_at: datetime
    ledger_index: int
    left_at: datetime | None = None
    left_index: int | None = None


def _row_to_institution(row: object) -> RegisteredInstitution:
    mapping = row._mapping  # type: ignore[attr-defined]
    info = InstitutionInfo(
        code=mapping["code"],
        name_zh=mapping["name_zh"],
        name_en=mapping["name_en"],
        kind=mapping["kind"],
        level=mapping["level"],
        region=mapping["region"],
        require_signed_batches=bool(mapping["require_signed_batches"]),
    )
    return RegisteredInstitution(
        info,
        mapping["registered_at"],
        mapping["ledger_index"],
        mapping["left_at"],
        mapping["left_index"],
    )


def find_institution(connection: Connection, code: str) -> RegisteredInstitution | None:
    """Return the institution with ``code``, or None."""
    row = connection.execute(select(institution_t).where(institution_t.c.code == code)).first()
    return None if row is None else _row_to_institution(row)


def get_institution(connection: Connection, code: str) -> RegisteredInstitution:
    """Return the institution with ``code`` or raise NotFound."""
    found = find_institution(connection, code)
    if found is None:
        raise NotFound(f"no member institution {code!r}")
    return found


def list_institutions(connection: Connection) -> list[RegisteredInstitution]:
    """Return every member institution by code."""
    rows = connection.execute(select(institution_t).order_by(institution_t.c.code)).all()
    return [_row_to_institution(row) for row in rows]


def institution_names(connection: Connection, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The Chinese and English names of the member institutions among ``codes``."""
    rows = connection.execute(
        select(institution_t.c.code, institution_t.c.name_zh, institution_t.c.name_en).where(
            among(connection, institution_t.c.code, list(codes))
        )
    )
    return {row.code: (row.name_zh, row.name_en) for row in rows}


def register_institution(
    ledger: Ledger, info: InstitutionInfo, *, actor: str, now: datetime
) -> RegisteredInstitution:
    """Record a new member institution in the log (naming the operator) and the tables."""
    with ledger.transaction() as tx:
        if find_institution(tx.connection, info.code) is not None:
            raise Conflict(f"institution {info.code!r} is already registered")
        index = tx.record(EntryKind.INSTITUTION_REGISTERED, actor, asdict(info), now=now)
        tx.connection.execute(
            insert(institution_t).values(**asdict(info), registered_at=now, ledger_index=index)
        )
    return RegisteredInstitution(info, now, index)


MAX_NOTICE_DAYS = 60


def notice_days(connection: Connection, code: str) -> int:
    """Days an approved recognition stays on public notice (公示) at ``code``; 0 for none."""
    get_institution(connection, code)
    days = connection.execute(
        select(institution_t.c.notice_days).where(institution_t.c.code == code)
    ).scalar_one()
    return int(days)


def set_notice_days(ledger: Ledger, code: str, days: int, *, actor: str, now: datetime) -> int:
    """Set the institution's public notice period (公示) in days (0: none); return the index."""
    if isinstance(days, bool) or not 0 <= days <= MAX_NOTICE_DAYS:
        raise InvalidInput(
            f"the notice period is 0 to {MAX_NOTICE_DAYS} days",
            problems=[FieldProblem("days", f"0-{MAX_NOTICE_DAYS}")],
        )
    with ledger.transaction() as tx:
        get_institution(tx.connection, code)
        index = tx.record(
            EntryKind.INSTITUTION_UPDATED,
            actor,
            {"institution": code, "notice_days": days},
            now=now,
        )
        tx.connection.execute(
            update(institution_t).where(institution_t.c.code == code).values(notice_days=days)
        )
    return index


def set_signing_requirement(
    ledger: Ledger, code: str, required: bool, *, actor: str, now: datetime
) -> RegisteredInstitution:
    """Require (or stop requiring) that every batch the institution posts be signed."""
    with ledger.transaction() as tx:
        current = get_institution(tx.connection, code)
        if required and not _active_keys(tx.connection, code):
            raise Conflict(f"institution {code!r} has no active signing key: add one first")
        tx.record(
            EntryKind.INSTITUTION_UPDATED,
            actor,
            {"institution": code, "require_signed_batches": required},
            now=now,
        )
        tx.connection.execute(
            update(institution_t)
            .where(institution_t.c.code == code)
            .values(require_signed_batches=required)
        )
    info = InstitutionInfo(**{**asdict(current.info), "require_signed_batches": required})
    return RegisteredInstitution(
        info, current.registered_at, current.ledger_index, current.left_at, current.left_index
    )


class EndDependents(Protocol):
    """What a member's leaving ends in the same transaction (its delegations, both ways)."""

    def __call__(
        self,
        tx: LedgerTransaction,
        code: str,
        /,
        *,
        actor: str,
        by: dict[str, Any],
        reason: str,
        now: datetime,
    ) -> Sequence[str]:
        """End, in ``tx``, what depends on ``code`` being a member; return the ids ended."""
        ...


def leave_institution(
    ledger: Ledger,
    code: str,
    *,
    actor: str,
    by: dict[str, Any],
    reason: str,
    now: datetime,
    end_dependents: EndDependents,
) -> RegisteredInstitution:
    """Record that a member left the bank: it posts nothing after ``now``.

    What it posted before stays valid as of its date; ``end_dependents`` ends, in the same
    transaction, the delegations it granted or received (each its own entry).
    """
    with ledger.transaction() as tx:
        current = get_institution(tx.connection, code)
        if current.left_at is not None:
            raise Conflict(f"{code} already left the bank on {current.left_at.isoformat()}")
        index = tx.record(
            EntryKind.INSTITUTION_LEFT,
            actor,
            {"institution": code, "left_at": format_time(now), "reason": reason, "by": by},
            now=now,
        )
        end_dependents(tx, code, actor=actor, by=by, reason=f"{code} left the bank", now=now)
        tx.connection.execute(
            update(institution_t)
            .where(institution_t.c.code == code)
            .values(left_at=now, left_index=index)
        )
    return RegisteredInstitution(
        current.info, current.registered_at, current.ledger_index, now, index
    )


def require_member(connection: Connection, code: str) -> RegisteredInstitution:
    """The institution ``code`` if it is still a member; InstitutionLeft (403) if it left."""
    found = get_institution(connection, code)
    if found.left_at is not None:
        raise InstitutionLeft(
            f"{code} left the bank on {found.left_at.date().isoformat()}: it can post nothing new"
        )
    return found


# --- batch-signing keys ---------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKeyInfo:
    """An institution's Ed25519 batch-signing key, and the entry that registered it."""

    key_id: str
    institution: str
    public_key: bytes
    added_at: datetime
    revoked_at: datetime | None
    added_index: int | None = None

    @property
    def public_key_b64(self) -> str:
        """The raw 32-byte key in standard base64."""
        return base64.b64encode(self.public_key).decode("ascii")


def signing_key_id(public_key: bytes) -> str:
    """The id of a raw Ed25519 key: the first 8 bytes of its SHA-256, hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def parse_public_key(text: str) -> bytes:
    """Decode a standard-base64 raw Ed25519 public key, naming the field on error."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise InvalidInput(
            "public_key is not a base64 raw Ed25519 public key",
            problems=[FieldProblem("public_key", "must be 32 bytes of Ed25519 key in base64")],
        ) from None
    return raw


def _key_info(row: object) -> SigningKeyInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return SigningKeyInfo(
        m["key_id"],
        m["institution"],
        bytes(m["public_key"]),
        m["added_at"],
        m["revoked_at"],
        m["added_index"],
    )


def _active_keys(connection: Connection, institution: str) -> list[SigningKeyInfo]:
    rows = connection.execute(
        select(key_t).where(key_t.c.institution == institution, key_t.c.revoked_at.is_(None))
    )
    return [_key_info(row) for row in rows]


def list_keys(connection: Connection, institution: str) -> list[SigningKeyInfo]:
    """Return every signing key the institution registered, oldest first."""
    rows = connection.execute(
        select(key_t).where(key_t.c.institution == institution).order_by(key_t.c.added_at)
    )
    return [_key_info(row) for row in rows]


def add_signing_key(
    ledger: Ledger, institution: str, public_key: bytes, *, actor: str, now: datetime
) -> SigningKeyInfo:
    """Register a batch-signing key; the log records it so authorship is checkable later."""
    key_id = signing_key_id(public_key)
    with ledger.transaction() as tx:
        get_institution(tx.connection, institution)
        if tx.connection.execute(select(key_t.c.key_id).where(key_t.c.key_id == key_id)).first():
            raise Conflict(f"signing key {key_id} is already registered")
        index = tx.record(
            EntryKind.INSTITUTION_KEY_ADDED,
            actor,
            {
                "institution": institution,
                "key_id": key_id,
                "public_key": base64.b64encode(public_key).decode("ascii"),
                "algorithm": "Ed25519",
            },
            now=now,
        )
        tx.connection.execute(
            insert(key_t).values(
                key_id=key_id,
                institution=institution,
                public_key=public_key,
                added_at=now,
                added_index=index,
            )
        )
    return SigningKeyInfo(key_id, institution, public_key, now, None, index)


def revoke_signing_key(
    ledger: Ledger, institution: str, key_id: str, *, actor: str, now: datetime
) -> SigningKeyInfo:
    """Stop accepting batches signed with a key; the log records when."""
    with ledger.transaction() as tx:
        row = tx.connection.execute(select(key_t).where(key_t.c.key_id == key_id)).first()
        if row is None or row._mapping["institution"] != institution:
            raise NotFound(f"no signing key {key_id!r} of {institution}")
        info = _key_info(row)
        if info.revoked_at is not None:
            return info
        required = get_institution(tx.connection, institution).info.require_signed_batches
        if required and len(_active_keys(tx.connection, institution)) == 1:
            raise Conflict(
                f"{key_id} is the last active key and signed batches are required: "
                "add another key or lift the requirement first"
            )
        index = tx.record(
            EntryKind.INSTITUTION_KEY_REVOKED,
            actor,
            {"institution": institution, "key_id": key_id},
            now=now,
        )
        tx.connection.execute(
            update(key_t)
            .where(key_t.c.key_id == key_id)
            .values(revoked_at=now, revoked_index=index)
        )
    return SigningKeyInfo(
        key_id, institution, info.public_key, info.added_at, now, info.added_index
    )


@dataclass(frozen=True)
class BatchSignature:
    """``Creditbank-Signature: keyid=<hex>; sig=<base64>[; over=items]``.

    Over the exact request body, or (``over_items``) over the tree of its items, which a
    verifier can check from one record (:mod:`creditbank.records.signed_items`).
    """

    key_id: str
    signature: bytes
    over_items: bool = False

    @property
    def signature_b64(self) -> str:
        """The signature in standard base64."""
        return base64.b64encode(self.signature).decode("ascii")


def check_batch_signature(
    connection: Connection, institution: str, body: bytes, signature: BatchSignature | None
) -> SigningKeyInfo | None:
    """Accept a signature by an active key of ``institution``, or refuse with 403.

    ``body`` is the bytes signed (the request body, or the message of its signed items);
    the answer is the key that signed, None for an unsigned batch.
    A missing signature is refused only when the institution requires signed batches; a
    signature that is present must always verify.
    """
    if signature is None:
        if get_institution(connection, institution).info.require_signed_batches:
            raise Forbidden(f"institution {institution} requires every batch to be signed")
        return None
    keys = {key.key_id: key for key in _active_keys(connection, institution)}
    key = keys.get(signature.key_id)
    if key is None:
        raise Forbidden(f"{signature.key_id!r} is not an active signing key of {institution}")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature.signature, body)
    except InvalidSignature:
        raise Forbidden(f"the batch signature by key {key.key_id} does not verify") from None
    return key
