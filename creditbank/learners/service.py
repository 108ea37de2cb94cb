"""Opening learner accounts (one by one, in bulk or by the learner), and consent.

The same person is one account: accounts are found by a keyed hash of the identity document,
so an institution opening an account that exists gets the existing id back. Names and
document numbers are sealed before they reach the database and never enter the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from creditbank.clock import as_utc
from creditbank.errors import Conflict, FieldProblem, InvalidInput, NotFound
from creditbank.identity.documents import IdentityDocument
from creditbank.identity.passwords import hash_password
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.identity.sealing import FieldSealer
from creditbank.identity.secrets import new_secret
from creditbank.institutions.service import get_institution
from creditbank.learners.tables import Consent, Learner
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger

learner_t = Learner.__table__  # type: ignore[attr-defined]
consent_t = Consent.__table__  # type: ignore[attr-defined]

ACTIVATION_PREFIX = "cba"
MAX_CONSENT = timedelta(days=5 * 366)


@dataclass(frozen=True)
class NewLearner:
    """A validated request to open an account."""

    name: str
    document: IdentityDocument
    password: str | None = None


@dataclass(frozen=True)
class OpenedAccount:
    """The outcome for one person: the account id, and whether it was new."""

    learner_id: str
    created: bool
    ledger_index: int | None
    activation_code: str | None = None


def _name_context(learner_id: str) -> str:
    return f"learner:{learner_id}:name"


def _document_context(learner_id: str) -> str:
    return f"learner:{learner_id}:document"


def open_accounts(
    ledger: Ledger,
    sealer: FieldSealer,
    people: Sequence[NewLearner],
    *,
    opened_by: str,
    actor: str,
    now: datetime,
) -> list[OpenedAccount]:
    """Open accounts for ``people`` (all or none); existing people get their existing id.

    ``opened_by`` is an institution code or ``"self"``. Accounts an institution opens get a
    one-time activation code the learner uses to choose a password.
    """
    lookups = [sealer.lookup_hash(person.document.lookup_material()) for person in people]
    with ledger.transaction() as tx:
        existing: dict[str, str] = (
            dict(
                tx.connection.execute(
                    select(learner_t.c.lookup, learner_t.c.id).where(
                        learner_t.c.lookup.in_(set(lookups))
                    )
                ).all()
            )
            if lookups
            else {}
        )
        if opened_by == "self" and existing:
            raise Conflict(
                "an account for this identity document already exists; sign in, or ask the "
                "institution that opened it for the activation code"
            )
        answers: list[OpenedAccount] = []
        new_rows: list[dict[str, object]] = []
        entries: list[NewEntry] = []
        seen: dict[str, OpenedAccount] = {}
        for person, lookup in zip(people, lookups, strict=True):
            if lookup in existing:
                answers.append(OpenedAccount(existing[lookup], False, None))
                continue
            if lookup in seen:  # the same person twice in one batch is one account
                answers.append(seen[lookup])
                continue
            learner_id = str(uuid.uuid4())
            activation = None if opened_by == "self" else new_secret(ACTIVATION_PREFIX)
            new_rows.append(
                {
                    "id": learner_id,
                    "lookup": lookup,
                    "document_kind": person.document.kind.value,
                    "name_sealed": sealer.seal(person.name, context=_name_context(learner_id)),
                    "document_sealed": sealer.seal(
                        person.document.number, context=_document_context(learner_id)
                    ),
                    "password_hash": None
                    if person.password is None
                    else hash_password(person.password),
                    "activation_hash": None if activation is None else activation.secret_hash,
                    "opened_by": opened_by,
                    "opened_at": now,
                }
            )
            entries.append(
                NewEntry(
                    EntryKind.LEARNER_OPENED,
                    actor,
                    {
                        "learner": learner_id,
                        "document_kind": person.document.kind.value,
                        "opened_by": opened_by,
                    },
                )
            )
            account = OpenedAccount(
                learner_id, True, None, None if activation is None else activation.text
            )
            seen[lookup] = account
            answers.append(account)
        if entries:
            result = tx.append(entries, now=now)
            index_of = {}
            for row, appended in zip(new_rows, result.entries, strict=True):
                row["ledger_index"] = appended.index
                index_of[row["id"]] = appended.index
            tx.connection.execute(insert(learner_t), new_rows)
            answers = [
                OpenedAccount(
                    a.learner_id, a.created, index_of.get(a.learner_id), a.activation_code
                )
                if a.created
                else a
                for a in answers
            ]
    return answers


@dataclass(frozen=True)
class AccountView:
    """What the learner (or a consented institution) sees of an account."""

    id: str
    name: str | None
    document_kind: str
    document_masked: str | None
    opened_by: str
    opened_at: datetime
    ledger_index: int
    has_password: bool


def read_account(connection: Connection, sealer: FieldSealer, learner_id: str) -> AccountView:
    """Return an account with its name unsealed (None once erased)."""
    row = connection.execute(select(learner_t).where(learner_t.c.id == learner_id)).first()
    if row is None:
        raise NotFound(f"no learner account {learner_id!r}")
    name = (
        None
        if row.name_sealed is None
        else sealer.open(row.name_sealed, context=_name_context(row.id))
    )
    masked = None
    if row.document_sealed is not None:
        number = sealer.open(row.document_sealed, context=_document_context(row.id))
        masked = number[:4] + "*" * max(len(number) - 8, 0) + number[-4:]
    return AccountView(
        row.id,
        name,
        row.document_kind,
        masked,
        row.opened_by,
        row.opened_at,
        row.ledger_index,
        row.password_hash is not None,
    )


def learner_exists(connection: Connection, learner_id: str) -> bool:
    """True when the account exists."""
    return (
        connection.execute(select(learner_t.c.id).where(learner_t.c.id == learner_id)).first()
        is not None
    )


# --- consent --------------------------------------------------------------------------------


class ConsentScope(StrEnum):
    """What a consent lets an institution do with the account."""

    READ = "read"  # see the account and its records
    EVALUATE = "evaluate"  # also run transfer evaluations (implies read)


@dataclass(frozen=True)
class ConsentView:
    """A consent as the learner sees it."""

    id: str
    learner: str
    institution: str
    scope: ConsentScope
    valid_from: datetime
    valid_until: datetime
    withdrawn_at: datetime | None
    granted_index: int
    withdrawn_index: int | None

    def active(self, now: datetime) -> bool:
        """True while it is neither withdrawn nor expired."""
        return self.withdrawn_at is None and as_utc(self.valid_from) <= now < as_utc(
            self.valid_until
        )


def _consent_view(row: Any) -> ConsentView:
    m = row._mapping
    return ConsentView(
        m["id"],
        m["learner"],
        m["institution"],
        ConsentScope(m["scope"]),
        as_utc(m["valid_from"]),
        as_utc(m["valid_until"]),
        None if m["withdrawn_at"] is None else as_utc(m["withdrawn_at"]),
        m["granted_index"],
        m["withdrawn_index"],
    )


def grant_consent(
    ledger: Ledger,
    learner_id: str,
    institution: str,
    scope: ConsentScope,
    valid_until: datetime,
    *,
    now: datetime,
) -> ConsentView:
    """Record a learner's consent for an institution, for a scope, until a time."""
    if not now < valid_until <= now + MAX_CONSENT:
        raise InvalidInput(
            "valid_until must be in the future and at most five years away",
            problems=[FieldProblem("valid_until", "must be after now and within five years")],
        )
    consent_id = str(uuid.uuid4())
    with ledger.transaction() as tx:
        get_institution(tx.connection, institution)
        index = tx.record(
            EntryKind.CONSENT_GRANTED,
            LEARNER_ACTOR,
            {
                "consent": consent_id,
                "learner": learner_id,
                "institution": institution,
                "scope": scope.value,
                "valid_until": valid_until.isoformat(),
            },
            now=now,
        )
        tx.connection.execute(
            insert(consent_t).values(
                id=consent_id,
                learner=learner_id,
                institution=institution,
                scope=scope.value,
                valid_from=now,
                valid_until=valid_until,
                granted_index=index,
            )
        )
        row = tx.connection.execute(select(consent_t).where(consent_t.c.id == consent_id)).one()
    return _consent_view(row)


def withdraw_consent(
    ledger: Ledger, learner_id: str, consent_id: str, *, now: datetime
) -> ConsentView:
    """Withdraw a consent; the institution loses access at once."""
    with ledger.transaction() as tx:
        row = tx.connection.execute(
            select(consent_t).where(consent_t.c.id == consent_id).with_for_update()
        ).first()
        if row is None or row.learner != learner_id:
            raise NotFound(f"no consent {consent_id!r} of this learner")
        if row.withdrawn_at is not None:
            return _consent_view(row)
        index = tx.record(
            EntryKind.CONSENT_WITHDRAWN,
            LEARNER_ACTOR,
            {"consent": consent_id, "learner": learner_id, "institution": row.institution},
            now=now,
        )
        tx.connection.execute(
            update(consent_t)
            .where(consent_t.c.id == consent_id)
            .values(withdrawn_at=now, withdrawn_index=index)
        )
        updated = tx.connection.execute(select(consent_t).where(consent_t.c.id == consent_id)).one()
    return _consent_view(updated)


def list_consents(connection: Connection, learner_id: str) -> list[ConsentView]:
    """Return a learner's consents, newest first."""
    rows = connection.execute(
        select(consent_t)
        .where(consent_t.c.learner == learner_id)
        .order_by(consent_t.c.granted_index.desc())
    )
    return [_consent_view(row) for row in rows]


def has_consent(
    connection: Connection, learner_id: str, institution: str, scope: ConsentScope, *, now: datetime
) -> bool:
    """True when the learner has an active consent for ``institution`` covering ``scope``."""
    scopes = (
        [ConsentScope.EVALUATE.value]
        if scope is ConsentScope.EVALUATE
        else [s.value for s in ConsentScope]
    )
    row = connection.execute(
        select(consent_t.c.id).where(
            consent_t.c.learner == learner_id,
            consent_t.c.institution == institution,
            consent_t.c.scope.in_(scopes),
            consent_t.c.withdrawn_at.is_(None),
            consent_t.c.valid_from <= now,
            consent_t.c.valid_until > now,
        )
    ).first()
    return row is not None


def consenting_learners(
    connection: Connection, institution: str, scope: ConsentScope, *, now: datetime
) -> list[str]:
    """Return the ids of learners with an active consent for ``institution``."""
    scopes = (
        [ConsentScope.EVALUATE.value]
        if scope is ConsentScope.EVALUATE
        else [s.value for s in ConsentScope]
    )
    rows = connection.execute(
        select(consent_t.c.learner)
        .where(
            consent_t.c.institution == institution,
            consent_t.c.scope.in_(scopes),
            consent_t.c.withdrawn_at.is_(None),
            consent_t.c.valid_from <= now,
            consent_t.c.valid_until > now,
        )
        .distinct()
    )
    return sorted(rows.scalars())
