"""Turn an ``Authorization: Bearer …`` header into a principal, or refuse with 401."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from creditbank.clock import as_utc
from creditbank.errors import InvalidInput, Unauthenticated
from creditbank.identity.principals import (
    API_KEY_PREFIX,
    LEARNER_TOKEN_PREFIX,
    ClientPrincipal,
    LearnerPrincipal,
    Principal,
    Role,
)
from creditbank.identity.secrets import matches, parse_secret
from creditbank.institutions.tables import ApiClient
from creditbank.learners.tables import LearnerToken

client_t = ApiClient.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]


def bearer_secret(header: str | None) -> str | None:
    """Return the secret of a Bearer authorization header, None when there is no header."""
    if header is None or header == "":
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <secret>'")
    return secret.strip()


def client_principal(row: Any) -> ClientPrincipal:
    """The principal of a stored API key; 401 when it is revoked or awaits acceptance.

    A key an operator issued for an institution authenticates nowhere until that institution's
    admin accepts it, so the operator who minted it cannot act as the institution with it.
    """
    if row.revoked_at is not None:
        raise Unauthenticated("this API key was revoked")
    if row.accepted_at is None and not row.bootstrap:
        raise Unauthenticated(
            f"this API key was issued by the bank's operator and awaits acceptance by the "
            f"admin of {row.institution}"
        )
    return ClientPrincipal(
        row.key_id, row.institution, Role(row.role), bootstrap=bool(row.bootstrap)
    )


def authenticate(connection: Connection, secret: str, *, now: datetime) -> Principal:
    """Return who ``secret`` belongs to; 401 when it is unknown, revoked or expired."""
    try:
        prefix, key_id = parse_secret(secret)
    except InvalidInput:
        raise Unauthenticated("the bearer secret is malformed") from None
    if prefix == API_KEY_PREFIX:
        row = connection.execute(select(client_t).where(client_t.c.key_id == key_id)).first()
        if row is None or not matches(row.secret_hash, secret):
            raise Unauthenticated("unknown API key")
        return client_principal(row)
    if prefix == LEARNER_TOKEN_PREFIX:
        row = connection.execute(select(token_t).where(token_t.c.key_id == key_id)).first()
        if row is None or not matches(row.secret_hash, secret):
            raise Unauthenticated("unknown sign-in token")
        if row.revoked_at is not None:
            raise Unauthenticated("this sign-in token was signed out")
        if as_utc(row.expires_at) <= now:
            raise Unauthenticated("this sign-in token has expired: sign in again")
        return LearnerPrincipal(row.learner, key_id)
    raise Unauthenticated("the bearer secret is neither an API key nor a sign-in token")
