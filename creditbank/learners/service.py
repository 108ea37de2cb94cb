"""Opening learner accounts (one by one or in bulk, by an institution), and consent.

The same person is one account: accounts are found by a keyed hash of the identity document,
so an institution opening an account that exists gets the existing id back, provided the name
it gives is the account's. An institution's opening binds the identity it checked
(``institution_verified``); a claim the learner made alone on the same document
(``self_asserted``, see :mod:`creditbank.learners.registration`) is set aside, never merged.
Names and document numbers are sealed before they reach the database and never enter the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection, func, insert, select, update

from creditbank.clock import as_utc
from creditbank.errors import FieldProblem, InvalidInput, NameMismatch, NotFound
from creditbank.identity.documents import IdentityDocument
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.identity.sealing import FieldSealer
from creditbank.identity.secrets import new_secret
from creditbank.institutions.service import get_institution
from creditbank.learners.assurance import SELF, SET_ASIDE_PREFIX, Assurance, same_name
from creditbank.learners.data_keys import Vault, vault
from creditbank.learners.tables import Consent, Learner, LearnerToken
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.ledger.store import read_head
from creditbank.storage.database import among

learner_t = Learner.__table__  # type: ignore[attr-defined]
consent_t = Consent.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]

ACTIVATION_PREFIX = "cba"
_IN_CHUNK = 500  # stays under SQLite's bound-parameter limit
NAME_MISMATCH = (
    "an account exists for this identity document under another name; the stored name is not shown"
)
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


def name_context(learner_id: str) -> str:
    """The sealing context of an account's name."""
    return f"learner:{learner_id}:name"


def document_context(learner_id: str) -> str:
    """The sealing context of an account's document number."""
    return f"learner:{learner_id}:document"


def _name_matches(box: Vault, row: Any, name: str) -> bool:
    # An erased name matches nothing: the account can no longer be confirmed by name.
    if row.name_sealed is None or not box.readable(row.id):
        return False
    return same_name(box.open(row.id, row.name_sealed, context=name_context(row.id)), name)


def lock_sequencer(tx: LedgerTransaction) -> None:
    """Take the sequencer before reading: two openings of one document then run one by one."""
    read_head(tx.connection, for_update=True)


def _by_lookup(connection: Connection, lookups: set[str]) -> dict[str, Any]:
    if not lookups:
        return {}
    rows = connection.execute(select(learner_t).where(learner_t.c.lookup.in_(lookups)))
    return {row.lookup: row for row in rows}


def _mismatch(problems: list[FieldProblem], total: int) -> NameMismatch:
    return NameMismatch(
        f"{len(problems)} of {total} people have an account for their identity document under "
        "another name; check the name as written on the document. Nothing was opened",
        extra={"errors": [problem.as_dict() for problem in problems]},
    )


@dataclass
class _Opening:
    """The rows and entries one call to :func:`open_accounts` writes, in log order."""

    rows: list[dict[str, object]]
    set_aside: list[str]
    entries: list[NewEntry]


def sealed_identity_row(
    box: Vault, person: NewLearner, learner_id: str, lookup: str, *, now: datetime
) -> dict[str, object]:
    """The columns every new account starts with: its lookup and its sealed identity.

    The identity is sealed under the learner's own data key, so erasing the key erases it.
    """
    return {
        "id": learner_id,
        "lookup": lookup,
        "document_kind": person.document.kind.value,
        "name_sealed": box.seal(learner_id, person.name, context=name_context(learner_id)),
        "document_sealed": box.seal(
            learner_id, person.document.number, context=document_context(learner_id)
        ),
        "opened_at": now,
    }


def _new_row(
    box: Vault,
    person: NewLearner,
    learner_id: str,
    lookup: str,
    activation_hash: str,
    *,
    institution: str,
    now: datetime,
) -> dict[str, object]:
    return {
        **sealed_identity_row(box, person, learner_id, lookup, now=now),
        "password_hash": None,
        "activation_hash": activation_hash,
        "opened_by": institution,
        "assurance": Assurance.INSTITUTION_VERIFIED.value,
        "bound_by": institution,
        "bound_at": now,
    }


def _set_aside(tx: LedgerTransaction, claims: list[str], indices: list[int], now: datetime) -> None:
    """Free the documents of self-asserted claims and end their sign-ins; the rows stay."""
    for claim, index in zip(claims, indices, strict=True):
        row = tx.connection.execute(select(learner_t.c.lookup).where(learner_t.c.id == claim)).one()
        tx.connection.execute(
            update(learner_t)
            .where(learner_t.c.id == claim)
            .values(
                lookup=SET_ASIDE_PREFIX + claim,
                set_aside_lookup=row.lookup,
                set_aside_at=now,
                set_aside_index=index,
            )
        )
        tx.connection.execute(
            update(token_t)
            .where(token_t.c.learner == claim, token_t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def open_accounts(
    ledger: Ledger,
    sealer: FieldSealer,
    people: Sequence[NewLearner],
    *,
    opened_by: str,
    actor: str,
    now: datetime,
) -> list[OpenedAccount]:
    """Open verified accounts for ``people`` as institution ``opened_by`` (all or none).

    A person whose document has a verified account gets its id back when the name matches
    (another institution confirming the same person; a merged alias answers the account it
    was merged into), and the whole call is refused with :class:`NameMismatch` otherwise,
    without the stored name. A self-asserted claim on the document is set aside (logged,
    its sign-ins ended) and a new verified account opened. New accounts get a one-time
    activation code the learner uses to choose a password.
    """
    if opened_by == SELF:
        raise ValueError("learners open their own account with registration.register_self")
    lookups = [sealer.lookup_hash(person.document.lookup_material()) for person in people]
    with ledger.transaction() as tx:
        lock_sequencer(tx)
        mismatched = name_mismatches(tx.connection, sealer, people)
        if mismatched:
            raise _mismatch(
                [FieldProblem("name", NAME_MISMATCH, i) for i in mismatched], len(people)
            )
        existing = _by_lookup(tx.connection, set(lookups))
        opening = _Opening([], [], [])
        answers: list[OpenedAccount] = []
        seen: dict[str, OpenedAccount] = {}
        # New accounts, sealed after the loop under keys made for all of them at once.
        fresh: list[tuple[NewLearner, str, str, str]] = []
        for person, lookup in zip(people, lookups, strict=True):
            row = existing.get(lookup)
            if row is not None and row.assurance == Assurance.INSTITUTION_VERIFIED.value:
                answers.append(OpenedAccount(row.merged_into or row.id, False, None))
                continue
            if lookup in seen:  # the same person twice in one batch is one account
                answers.append(seen[lookup])
                continue
            learner_id = str(uuid.uuid4())
            if row is not None:  # a self-asserted claim: set aside, never merged
                opening.set_aside.append(row.id)
                opening.entries.append(
                    NewEntry(
                        EntryKind.LEARNER_CLAIM_SET_ASIDE,
                        actor,
                        {"learner": row.id, "by": opened_by, "verified_account": learner_id},
                    )
                )
            activation = new_secret(ACTIVATION_PREFIX)
            fresh.append((person, learner_id, lookup, activation.secret_hash))
            opening.entries.append(
                NewEntry(
                    EntryKind.LEARNER_OPENED,
                    actor,
                    {
                        "learner": learner_id,
                        "document_kind": person.document.kind.value,
                        "opened_by": opened_by,
                        "assurance": Assurance.INSTITUTION_VERIFIED.value,
                        "bound_by": opened_by,
                    },
                )
            )
            account = OpenedAccount(learner_id, True, None, activation.text)
            seen[lookup] = account
            answers.append(account)
        if not opening.entries:
            return answers
        box = vault(tx.connection)
        box.prefetch([learner_id for _, learner_id, _, _ in fresh], create=True)
        opening.rows.extend(
            _new_row(box, *account, institution=opened_by, now=now) for account in fresh
        )
        indices = tx.append(opening.entries, now=now).indices
        set_aside_indices = [
            index
            for index, entry in zip(indices, opening.entries, strict=True)
            if entry.kind == EntryKind.LEARNER_CLAIM_SET_ASIDE
        ]
        opened_indices = [
            index
            for index, entry in zip(indices, opening.entries, strict=True)
            if entry.kind == EntryKind.LEARNER_OPENED
        ]
        _set_aside(tx, opening.set_aside, set_aside_indices, now)
        index_of: dict[object, int] = {}
        for new_row, ledger_index in zip(opening.rows, opened_indices, strict=True):
            new_row["ledger_index"] = ledger_index
            index_of[new_row["id"]] = ledger_index
        tx.connection.execute(insert(learner_t), opening.rows)
    return [
        OpenedAccount(a.learner_id, a.created, index_of[a.learner_id], a.activation_code)
        if a.created
        else a
        for a in answers
    ]


def name_mismatches(
    connection: Connection, sealer: FieldSealer, people: Sequence[NewLearner]
) -> list[int]:
    """The indices of ``people`` whose name is not that of their document's account.

    That is the verified account's name, or the first name given for the document in
    ``people``. :func:`open_accounts` refuses such a call; a multi-batch import asks first, so
    it refuses such rows before any batch is posted.
    """
    lookups = [sealer.lookup_hash(person.document.lookup_material()) for person in people]
    existing = _by_lookup(connection, set(lookups))
    box = vault(connection)
    first_name: dict[str, str] = {}
    found: list[int] = []
    for index, (person, lookup) in enumerate(zip(people, lookups, strict=True)):
        row = existing.get(lookup)
        if row is not None and row.assurance == Assurance.INSTITUTION_VERIFIED.value:
            if not _name_matches(box, row, person.name):
                found.append(index)
        elif not same_name(first_name.setdefault(lookup, person.name), person.name):
            found.append(index)
    return found


def active_accounts(connection: Connection) -> int:
    """How many open accounts stand for a person (not set aside, merged or closed)."""
    query = (
        select(func.count())
        .select_from(learner_t)
        .where(
            learner_t.c.set_aside_at.is_(None),
            learner_t.c.merged_into.is_(None),
            learner_t.c.closed_at.is_(None),
        )
    )
    return int(connection.execute(query).scalar_one())


@dataclass(frozen=True)
class AccountView:
    """What the learner (or a consented institution) sees of an account."""

    id: str
    name: str | None
    document_kind: str
    document_masked: str | None
    opened_by: str
    opened_at: datetime
    ledger_index: int | None  # None: registered by the learner alone, not in the log
    has_password: bool
    assurance: Assurance
    bound_by: str | None
    bound_at: datetime | None
    set_aside_at: datetime | None
    merged_into: str | None


def read_account(connection: Connection, sealer: FieldSealer, learner_id: str) -> AccountView:
    """Return an account with its name unsealed (None once erased)."""
    row = connection.execute(select(learner_t).where(learner_t.c.id == learner_id)).first()
    if row is None:
        raise NotFound(f"no learner account {learner_id!r}")
    box = vault(connection)
    readable = row.erased_at is None and box.readable(row.id)
    name = (
        None
        if row.name_sealed is None or not readable
        else box.open(row.id, row.name_sealed, context=name_context(row.id))
    )
    masked = None
    if row.document_sealed is not None and readable:
        number = box.open(row.id, row.document_sealed, context=document_context(row.id))
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
        Assurance(row.assurance),
        row.bound_by,
        None if row.bound_at is None else as_utc(row.bound_at),
        None if row.set_aside_at is None else as_utc(row.set_aside_at),
        row.merged_into,
    )


def learner_exists(connection: Connection, learner_id: str) -> bool:
    """True when the account exists."""
    return (
        connection.execute(select(learner_t.c.id).where(learner_t.c.id == learner_id)).first()
        is not None
    )


def unpostable_learners(connection: Connection, learner_ids: Sequence[str]) -> dict[str, str]:
    """Why institutions may not post to some of ``learner_ids`` (absent ids are fine).

    Only an active, institution-verified account holds what institutions post: a missing, a
    self-asserted or a set-aside account is refused alike (so an id does not reveal which), and
    a merged alias is refused with the way to its account.
    """
    wanted = sorted(set(learner_ids))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        query = select(
            learner_t.c.id,
            learner_t.c.assurance,
            learner_t.c.set_aside_at,
            learner_t.c.merged_into,
            learner_t.c.closed_at,
        ).where(among(connection, learner_t.c.id, chunk))
        found.update((row.id, row) for row in connection.execute(query))
    reasons: dict[str, str] = {}
    for learner_id in wanted:
        row = found.get(learner_id)
        if row is not None and row.merged_into is not None:
            reasons[learner_id] = (
                f"learner account {learner_id!r} was merged into another account; open the "
                "learner's identity document again (POST /api/v1/learners) for its id"
            )
        elif row is not None and row.closed_at is not None:
            reasons[learner_id] = (
                f"learner account {learner_id!r} is closed: nothing more can be recorded for it"
            )
        elif (
            row is None
            or row.assurance != Assurance.INSTITUTION_VERIFIED.value
            or row.set_aside_at is not None
        ):
            reasons[learner_id] = (
                f"no institution-verified learner account {learner_id!r}: an institution must "
                "open the account for the learner's identity document (POST /api/v1/learners) "
                "before anything is posted to it"
            )
    return reasons


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
    with ledger.transaction() as tx:
        return record_consent(tx, learner_id, institution, scope, valid_until, now=now)


def record_consent(
    tx: LedgerTransaction,
    learner_id: str,
    institution: str,
    scope: ConsentScope,
    valid_until: datetime,
    *,
    now: datetime,
) -> ConsentView:
    """Record a consent in the caller's transaction (an application gives one with it)."""
    if not now < valid_until <= now + MAX_CONSENT:
        raise InvalidInput(
            "valid_until must be in the future and at most five years away",
            problems=[FieldProblem("valid_until", "must be after now and within five years")],
        )
    consent_id = str(uuid.uuid4())
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


class ConsentDependents(Protocol):
    """What follows a withdrawn consent, in the withdrawal's transaction."""

    def __call__(
        self, tx: LedgerTransaction, consent: ConsentView, /, *, actor: str, now: datetime
    ) -> Sequence[str]:
        """Act on what relied on ``consent``; return the ids changed."""
        ...


def withdraw_consent(
    ledger: Ledger,
    learner_id: str,
    consent_id: str,
    *,
    now: datetime,
    after_withdrawal: ConsentDependents,
) -> ConsentView:
    """Withdraw a consent; the institution loses access at once.

    ``after_withdrawal`` runs in the same transaction (the transfers that relied on the
    consent go under review: see :mod:`creditbank.evaluations.review`).
    """
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
        updated = _consent_view(
            tx.connection.execute(select(consent_t).where(consent_t.c.id == consent_id)).one()
        )
        after_withdrawal(tx, updated, actor=LEARNER_ACTOR, now=now)
    return updated


def list_consents(connection: Connection, learner_id: str) -> list[ConsentView]:
    """Return a learner's consents, newest first."""
    rows = connection.execute(
        select(consent_t)
        .where(consent_t.c.learner == learner_id)
        .order_by(consent_t.c.granted_index.desc())
    )
    return [_consent_view(row) for row in rows]


def active_consent(
    connection: Connection, learner_id: str, institution: str, scope: ConsentScope, *, now: datetime
) -> str | None:
    """The id of an active consent of the learner for ``institution`` covering ``scope``.

    The newest such consent when several are active; None when there is none.
    """
    scopes = (
        [ConsentScope.EVALUATE.value]
        if scope is ConsentScope.EVALUATE
        else [s.value for s in ConsentScope]
    )
    row = connection.execute(
        select(consent_t.c.id)
        .where(
            consent_t.c.learner == learner_id,
            consent_t.c.institution == institution,
            consent_t.c.scope.in_(scopes),
            consent_t.c.withdrawn_at.is_(None),
            consent_t.c.valid_from <= now,
            consent_t.c.valid_until > now,
        )
        .order_by(consent_t.c.granted_index.desc())
    ).first()
    return None if row is None else str(row.id)


def has_consent(
    connection: Connection, learner_id: str, institution: str, scope: ConsentScope, *, now: datetime
) -> bool:
    """True when the learner has an active consent for ``institution`` covering ``scope``."""
    return active_consent(connection, learner_id, institution, scope, now=now) is not None


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
