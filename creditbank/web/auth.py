"""Who is signed in to the web interface, kept in the server-side session.

Sign-in reuses the API's checks: learners give document and password (the same step as
``POST /api/v1/sessions``, in :mod:`creditbank.learners.credentials`; its token is kept by id
only), staff paste an API key once (checked like a bearer secret, then kept by key id). Every
request re-reads the token or key row, so a revoked key or a signed-out token stops working at
once. Views pass :func:`signed_in` to the same checks the API makes (``creditbank.auth.authorise``).
"""

from __future__ import annotations

from typing import Any

from flask import g, session
from sqlalchemy import Connection, select

from creditbank.auth.authenticate import authenticate, client_principal
from creditbank.clock import as_utc, utc_now
from creditbank.errors import Unauthenticated
from creditbank.identity.documents import IdentityDocument
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Principal
from creditbank.institutions.clients import record_operator_sign_in
from creditbank.institutions.tables import ApiClient
from creditbank.learners import credentials
from creditbank.learners.tables import LearnerToken
from creditbank.storage.database import read_connection
from creditbank.web.sessions import ServerSession
from creditbank.wiring import services

client_t = ApiClient.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]

WHO = "who"


def _resume(connection: Connection, who: dict[str, Any]) -> Principal | None:
    now = utc_now()
    if who.get("kind") == "learner":
        row = connection.execute(
            select(token_t).where(token_t.c.key_id == str(who.get("token")))
        ).first()
        if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= now:
            return None
        return LearnerPrincipal(row.learner, row.key_id)
    if who.get("kind") == "client":
        row = connection.execute(
            select(client_t).where(client_t.c.key_id == str(who.get("key")))
        ).first()
        if row is None:
            return None
        try:
            return client_principal(row)
        except Unauthenticated:
            return None
    return None


def load_principal() -> None:
    """Set ``g.principal`` from the session (None when nobody, or the sign-in lapsed)."""
    who = session.get(WHO)
    principal = None
    if isinstance(who, dict):
        with read_connection(services().engine) as connection:
            principal = _resume(connection, who)
        if principal is None:
            session.pop(WHO, None)
    g.principal = principal


def signed_in() -> Principal | None:
    """The principal of this request, if any."""
    principal: Principal | None = g.get("principal")
    return principal


def _start(who: dict[str, Any]) -> None:
    assert isinstance(session, ServerSession)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session[WHO] = who
    session.regenerate()


def sign_in_learner(document: IdentityDocument, password: str) -> LearnerPrincipal:
    """Check document and password (the API's sign-in step) and start a session."""
    s = services()
    signed = credentials.sign_in(s.engine, s.sealer, document, password, now=utc_now())
    _start({"kind": "learner", "token": signed.token.key_id})
    return LearnerPrincipal(signed.learner_id, signed.token.key_id)


def sign_in_staff(secret: str) -> ClientPrincipal:
    """Check a pasted API key and start a session that remembers only its id.

    An operator's sign-in is a log entry naming its key: what it then does to an institution's
    data is on the record under the same name.
    """
    with read_connection(services().engine) as connection:
        principal = authenticate(connection, secret.strip(), now=utc_now())
    if not isinstance(principal, ClientPrincipal):
        raise Unauthenticated("paste an API key here; learners sign in with their document")
    if principal.is_operator:
        record_operator_sign_in(services().ledger, principal, via="web", now=utc_now())
    _start({"kind": "client", "key": principal.key_id})
    return principal


def sign_out() -> None:
    """End the session; a learner's sign-in token is revoked too."""
    principal = signed_in()
    if isinstance(principal, LearnerPrincipal):
        credentials.sign_out(services().engine, principal.token_id, now=utc_now())
    assert isinstance(session, ServerSession)
    session.end()
    g.principal = None
