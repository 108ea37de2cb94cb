"""API keys on the record: every issue, acceptance and revocation is a log entry naming who.

The bank's operators administer the service but do not read learners. A key an operator issues
for an institution could let the operator act as that institution, so it is *pending* (it
authenticates nowhere) until that institution's admin accepts it. The one key an operator must
issue is an institution's first admin key (or a new one after the institution lost every admin
key): it is a *bootstrap* key, good only for being exchanged, once, for an admin key the
institution issues itself; the exchange revokes it. If anyone else used it first, the
institution finds it spent, and the log says when and for which key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from creditbank.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.identity.principals import (
    API_KEY_PREFIX,
    CONSOLE_ACTOR,
    OPERATOR_ACTOR,
    ClientPrincipal,
    Role,
)
from creditbank.identity.secrets import IssuedSecret, new_secret
from creditbank.institutions.service import get_institution
from creditbank.institutions.tables import ApiClient
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify

client_t = ApiClient.__table__  # type: ignore[attr-defined]

LEGACY = "legacy"
"""Issued (and accepted) before the log recorded keys: who issued it is unknown."""


class KeyStatus(StrEnum):
    """Where a key stands."""

    PENDING = "pending"  # issued by an operator, awaiting the institution's admin
    BOOTSTRAP = "bootstrap"  # an institution's first admin key: good only for its exchange
    ACTIVE = "active"
    REVOKED = "revoked"


class Issuer(StrEnum):
    """Who issued a key, as the institution's admin page says it."""

    OPERATOR = "operator"  # the bank's operator
    INSTITUTION = "institution"  # the institution's own admin
    LEGACY = "legacy"  # before keys were recorded


@dataclass(frozen=True)
class Acting:
    """Who issues, accepts or revokes a key.

    An operator (by key, or at the console) or an institution's admin key.
    """

    actor: str
    key_id: str | None
    institution: str | None
    role: Role = Role.ADMIN
    bootstrap: bool = False

    @classmethod
    def of(cls, principal: ClientPrincipal) -> Acting:
        """The caller of an API request or a web page."""
        return cls(
            principal.actor,
            principal.key_id,
            principal.institution,
            principal.role,
            principal.bootstrap,
        )

    @property
    def is_operator(self) -> bool:
        """The bank's operators (key or console)."""
        return self.institution is None


CONSOLE = Acting(CONSOLE_ACTOR, None, None)
"""An operator at the server's command line: whoever holds the server holds its keys, so the
log records that the act came from there rather than through an API key."""


@dataclass(frozen=True)
class ClientInfo:
    """An API client as administrators see it (never its secret)."""

    key_id: str
    institution: str | None
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None
    issued_by: str = LEGACY
    issued_index: int | None = None
    bootstrap: bool = False
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    accepted_index: int | None = None
    revoked_by: str | None = None
    revoked_index: int | None = None

    @property
    def status(self) -> KeyStatus:
        """Revoked, a bootstrap key, pending acceptance, or active."""
        if self.revoked_at is not None:
            return KeyStatus.REVOKED
        if self.bootstrap:
            return KeyStatus.BOOTSTRAP
        if self.accepted_at is None:
            return KeyStatus.PENDING
        return KeyStatus.ACTIVE

    @property
    def issuer(self) -> Issuer:
        """The bank's operator, the institution's admin, or unknown (legacy)."""
        if self.issued_by == LEGACY:
            return Issuer.LEGACY
        if self.issued_by.split(":", 1)[0] == OPERATOR_ACTOR:
            return Issuer.OPERATOR
        return Issuer.INSTITUTION


def client_info(row: Any) -> ClientInfo:
    """A stored ``api_client`` row as a value."""
    m = row._mapping
    return ClientInfo(
        key_id=m["key_id"],
        institution=m["institution"],
        role=Role(m["role"]),
        label=m["label"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
        issued_by=m["issued_by"],
        issued_index=m["issued_index"],
        bootstrap=bool(m["bootstrap"]),
        accepted_at=m["accepted_at"],
        accepted_by=m["accepted_by"],
        accepted_index=m["accepted_index"],
        revoked_by=m["revoked_by"],
        revoked_index=m["revoked_index"],
    )


def list_clients(connection: Connection, institution: str | None) -> list[ClientInfo]:
    """Every key of an institution (the bank's operators when ``institution`` is None)."""
    condition = (
        client_t.c.institution.is_(None)
        if institution is None
        else client_t.c.institution == institution
    )
    rows = connection.execute(
        select(client_t).where(condition).order_by(client_t.c.created_at, client_t.c.key_id)
    )
    return [client_info(row) for row in rows]


def _owned(connection: Connection, institution: str | None, key_id: str) -> ClientInfo:
    row = connection.execute(select(client_t).where(client_t.c.key_id == key_id)).first()
    if row is None or row._mapping["institution"] != institution:
        raise NotFound(f"no API client {key_id!r} of {institution or 'the bank'}")
    return client_info(row)


def _require_admin_of(by: Acting, institution: str | None, *, doing: str) -> None:
    """Operators may act for any institution; otherwise only that institution's admin."""
    if by.is_operator:
        return
    if by.institution != institution or by.role is not Role.ADMIN:
        raise Forbidden(f"only the admin of {institution or 'the bank'} may {doing}")


def _has_admin(connection: Connection, institution: str) -> bool:
    """Whether the institution holds an accepted, unrevoked admin key of its own."""
    return (
        connection.execute(
            select(client_t.c.key_id).where(
                client_t.c.institution == institution,
                client_t.c.role == Role.ADMIN.value,
                client_t.c.revoked_at.is_(None),
                client_t.c.accepted_at.is_not(None),
                client_t.c.bootstrap.is_(False),
            )
        ).first()
        is not None
    )


def _unused_bootstrap(connection: Connection, institution: str) -> str | None:
    return connection.execute(
        select(client_t.c.key_id).where(
            client_t.c.institution == institution,
            client_t.c.bootstrap.is_(True),
            client_t.c.revoked_at.is_(None),
        )
    ).scalar()


def _new_status(
    connection: Connection, institution: str | None, role: Role, by: Acting
) -> KeyStatus:
    """What a new key starts as, given who issues it; refuse what nobody may issue."""
    if institution is None:
        if not by.is_operator:
            raise Forbidden("only the bank's operators issue operator keys")
        if role is not Role.ADMIN:
            raise InvalidInput(
                "a bank operator key has the admin role",
                problems=[FieldProblem("role", "admin for the bank's operators")],
            )
        return KeyStatus.ACTIVE
    get_institution(connection, institution)
    if not by.is_operator:
        _require_admin_of(by, institution, doing="issue its keys")
        if by.bootstrap and role is not Role.ADMIN:
            raise Forbidden(
                "a bootstrap key is good only for issuing the institution's own admin key"
            )
        return KeyStatus.ACTIVE
    if role is Role.ADMIN and not _has_admin(connection, institution):
        unused = _unused_bootstrap(connection, institution)
        if unused is not None:
            raise Conflict(
                f"{institution} already has an unused bootstrap key {unused}: revoke it first"
            )
        return KeyStatus.BOOTSTRAP
    return KeyStatus.PENDING


def issue_client(
    ledger: Ledger,
    institution: str | None,
    role: Role,
    label: str,
    *,
    by: Acting,
    now: datetime,
    secret: IssuedSecret | None = None,
) -> tuple[ClientInfo, IssuedSecret]:
    """Issue an API key, on the record; return it with its secret, which is shown this once.

    An institution's admin issues its own keys, active at once. An operator issues the bank's
    operator keys (active), an institution's bootstrap key when it has no admin key of its own,
    and otherwise keys that stay pending until the institution's admin accepts them. A bootstrap
    key issuing an admin key is its exchange: the bootstrap key is revoked in the same step.
    ``secret`` is for demonstration instances only, whose keys the README lists.
    """
    secret = secret or new_secret(API_KEY_PREFIX)
    with ledger.transaction() as tx:
        connection = tx.connection
        status = _new_status(connection, institution, role, by)
        taken = select(client_t.c.key_id).where(client_t.c.key_id == secret.key_id)
        if connection.execute(taken).first():
            raise Conflict(f"API key {secret.key_id} already exists")
        payload: dict[str, Any] = {
            "key_id": secret.key_id,
            "institution": institution,
            "role": role.value,
            "status": status.value,
            "by_key": by.key_id,
        }
        index = tx.record(EntryKind.CLIENT_ISSUED, by.actor, payload, now=now)
        active = status is KeyStatus.ACTIVE
        values = {
            "key_id": secret.key_id,
            "institution": institution,
            "role": role.value,
            "label": label,
            "secret_hash": secret.secret_hash,
            "created_at": now,
            "revoked_at": None,
            "issued_by": by.actor,
            "issued_index": index,
            "bootstrap": status is KeyStatus.BOOTSTRAP,
            "accepted_at": now if active else None,
            "accepted_by": by.actor if active else None,
            "accepted_index": index if active else None,
        }
        connection.execute(insert(client_t).values(**values))
        if institution is not None:
            notify(
                connection,
                Recipient.INSTITUTION,
                institution,
                NoticeKind.KEY_ISSUED,
                {"key_id": secret.key_id, "role": role.value, "label": label},
                event_key=f"key-issued:{secret.key_id}",
                now=now,
            )
        if by.bootstrap and by.key_id is not None:
            _revoke(
                tx,
                _owned(connection, institution, by.key_id),
                by=by,
                now=now,
                reason=f"exchanged for {secret.key_id}",
            )
        issued = _owned(connection, institution, secret.key_id)
    return issued, secret


def accept_client(
    ledger: Ledger, institution: str, key_id: str, *, by: Acting, now: datetime
) -> ClientInfo:
    """The institution's admin accepts a key an operator issued for it; it works from now."""
    if by.is_operator or by.bootstrap or by.institution != institution or by.role is not Role.ADMIN:
        raise Forbidden(f"only the admin of {institution} may accept its keys")
    with ledger.transaction() as tx:
        found = _owned(tx.connection, institution, key_id)
        if found.status is not KeyStatus.PENDING:
            raise Conflict(
                f"API key {key_id} is {found.status.value}: only a pending key is accepted"
            )
        index = tx.record(
            EntryKind.CLIENT_ACCEPTED,
            by.actor,
            {
                "key_id": key_id,
                "institution": institution,
                "role": found.role.value,
                "issued_by": found.issued_by,
                "by_key": by.key_id,
            },
            now=now,
        )
        tx.connection.execute(
            update(client_t)
            .where(client_t.c.key_id == key_id)
            .values(accepted_at=now, accepted_by=by.actor, accepted_index=index)
        )
        return _owned(tx.connection, institution, key_id)


def _revoke(
    tx: LedgerTransaction, found: ClientInfo, *, by: Acting, now: datetime, reason: str | None
) -> None:
    payload: dict[str, Any] = {
        "key_id": found.key_id,
        "institution": found.institution,
        "by_key": by.key_id,
    }
    if reason is not None:
        payload["reason"] = reason
    index = tx.record(EntryKind.CLIENT_REVOKED, by.actor, payload, now=now)
    tx.connection.execute(
        update(client_t)
        .where(client_t.c.key_id == found.key_id)
        .values(revoked_at=now, revoked_by=by.actor, revoked_index=index)
    )


def revoke_client(
    ledger: Ledger, institution: str | None, key_id: str, *, by: Acting, now: datetime
) -> ClientInfo:
    """Revoke (or, while pending, refuse) a key, on the record; it stops working at once.

    The institution's admin revokes its own keys; the bank's operators may revoke any key (a
    leaked one, say), and the log names which operator did. Revoking a revoked key changes
    nothing and writes nothing.
    """
    if by.bootstrap:
        raise Forbidden("a bootstrap key is good only for issuing the institution's own admin key")
    _require_admin_of(by, institution, doing="revoke its keys")
    with ledger.transaction() as tx:
        found = _owned(tx.connection, institution, key_id)
        if found.status is KeyStatus.REVOKED:
            return found
        _revoke(tx, found, by=by, now=now, reason=None)
        return _owned(tx.connection, institution, key_id)


def record_operator_sign_in(
    ledger: Ledger, principal: ClientPrincipal, *, via: str, now: datetime
) -> int:
    """Record that an operator signed in (to the web pages): its acts follow under its key."""
    if not principal.is_operator:
        raise Forbidden("only the bank's operators' sign-ins are recorded this way")
    with ledger.transaction() as tx:
        return tx.record(
            EntryKind.OPERATOR_SIGNED_IN,
            principal.actor,
            {"key_id": principal.key_id, "via": via},
            now=now,
        )
