"""A learner's password and sign-in tokens: activation, signing in and signing out.

Each step is the one the API and the web portal both call: it takes the engine and opens its
own write transaction, so an edge only parses the request and shapes the answer. Every wrong
document, code or password gets the same 401, so the answers do not reveal which accounts exist.

A learner proves control of an account an institution opened with the activation code that
institution handed over; the code sets the first password. Signing in with a merged alias's
document signs in to the account it was merged into. Whoever gives the password of a
self-registered claim that an institution's opening set aside is told so (and only they are).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from creditbank.clock import as_utc
from creditbank.errors import ClaimSetAside, Unauthenticated
from creditbank.identity.documents import IdentityDocument
from creditbank.identity.passwords import check_password_strength, hash_password, verify_password
from creditbank.identity.principals import LEARNER_TOKEN_PREFIX
from creditbank.identity.sealing import FieldSealer
from creditbank.identity.secrets import IssuedSecret, matches, new_secret
from creditbank.learners.tables import Learner, LearnerToken
from creditbank.storage.database import write_transaction

learner_t = Learner.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]

TOKEN_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class SignedIn:
    """A learner's sign-in: the account, the token (its secret known only now) and its end."""

    learner_id: str
    token: IssuedSecret
    expires_at: datetime


def _find(connection: Connection, sealer: FieldSealer, document: IdentityDocument) -> Any:
    """The account for ``document``: a merged alias gives the account it was merged into."""
    lookup = sealer.lookup_hash(document.lookup_material())
    row = connection.execute(select(learner_t).where(learner_t.c.lookup == lookup)).first()
    if row is not None and row.merged_into is not None:
        row = connection.execute(select(learner_t).where(learner_t.c.id == row.merged_into)).one()
    return row


def _set_aside_claim(
    connection: Connection, sealer: FieldSealer, document: IdentityDocument
) -> Any:
    lookup = sealer.lookup_hash(document.lookup_material())
    return connection.execute(
        select(learner_t)
        .where(learner_t.c.set_aside_lookup == lookup)
        .order_by(learner_t.c.set_aside_at.desc())
    ).first()


def _claim_set_aside(claim: Any) -> ClaimSetAside:
    day = as_utc(claim.set_aside_at).date().isoformat()
    return ClaimSetAside(
        f"the account you opened yourself for this identity document was set aside on {day}: "
        "an institution opened a verified account for the document. Your records are in that "
        "account: activate it with the activation code from the institution that enrolled "
        "you, then sign in with the password you choose there"
    )


def activate(
    engine: Engine,
    sealer: FieldSealer,
    document: IdentityDocument,
    code: str,
    password: str,
) -> str:
    """Set the first password of an account an institution opened, with its activation code.

    A weak password is refused before the code is looked at, so a code is never spent on it.
    """
    check_password_strength(password)
    with write_transaction(engine) as connection:
        row = _find(connection, sealer, document)
        if row is None or row.activation_hash is None or not matches(row.activation_hash, code):
            raise Unauthenticated("the identity document or the activation code is wrong")
        connection.execute(
            update(learner_t)
            .where(learner_t.c.id == row.id)
            .values(password_hash=hash_password(password), activation_hash=None)
        )
    return str(row.id)


def sign_in(
    engine: Engine,
    sealer: FieldSealer,
    document: IdentityDocument,
    password: str,
    *,
    now: datetime,
) -> SignedIn:
    """Check a learner's password and issue a bearer token; the same 401 for every failure.

    The one exception is the password of a set-aside self-registered claim: its holder gets
    :class:`ClaimSetAside` saying what happened and what to do.
    """
    with write_transaction(engine) as connection:
        row = _find(connection, sealer, document)
        claim = _set_aside_claim(connection, sealer, document)
        # Both checks run every time, and verify_password does the scrypt work even without a
        # hash: the answer's timing tells neither whether an account nor a claim exists.
        account_ok = verify_password(password, None if row is None else row.password_hash)
        claim_ok = verify_password(password, None if claim is None else claim.password_hash)
        if not account_ok:
            if claim_ok:
                raise _claim_set_aside(claim)
            raise Unauthenticated("the identity document or the password is wrong")
        if row.closed_at is not None:
            # Only the holder of the password learns it: their own closure, and when it ends.
            raise Unauthenticated(
                "this account was closed; its personal data is erased after the grace period"
            )
        token = new_secret(LEARNER_TOKEN_PREFIX)
        expires = now + TOKEN_LIFETIME
        connection.execute(
            insert(token_t).values(
                key_id=token.key_id,
                learner=row.id,
                secret_hash=token.secret_hash,
                issued_at=now,
                expires_at=expires,
                revoked_at=None,
            )
        )
    return SignedIn(str(row.id), token, expires)


def sign_out(engine: Engine, token_id: str, *, now: datetime) -> None:
    """Revoke a sign-in token: requests bearing it, and the web session holding it, stop."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(token_t).where(token_t.c.key_id == token_id).values(revoked_at=now)
        )
