"""The caller of an API request, read once from its ``Authorization`` header.

The checks themselves are :mod:`creditbank.auth.authorise`; these bind them to the request's
caller (and, for consent, a read connection), so each endpoint states its check in one line.
"""

from __future__ import annotations

from flask import g, request

from creditbank.auth import authorise
from creditbank.auth.access_log import ReadKind
from creditbank.auth.authenticate import authenticate, bearer_secret
from creditbank.clock import utc_now
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Principal, Role
from creditbank.learners.service import ConsentScope
from creditbank.storage.database import read_connection
from creditbank.wiring import services


def current_principal() -> Principal | None:
    """Return the caller of this request (None when anonymous), authenticating once."""
    if "principal" not in g:
        secret = bearer_secret(request.headers.get("Authorization"))
        if secret is None:
            g.principal = None
        else:
            with read_connection(services().engine) as connection:
                g.principal = authenticate(connection, secret, now=utc_now())
    principal: Principal | None = g.principal
    return principal


def require_principal() -> Principal:
    """Any signed-in caller."""
    return authorise.require_principal(current_principal())


def require_operator() -> ClientPrincipal:
    """The bank's own administrators."""
    return authorise.require_operator(current_principal())


def require_client(institution: str | None = None, *roles: Role) -> ClientPrincipal:
    """An API client of ``institution`` (any, when None) holding one of ``roles``."""
    return authorise.require_client(current_principal(), institution, *roles)


def require_key_issuer(institution: str) -> ClientPrincipal:
    """An operator, the institution's admin, or its bootstrap key (for the exchange)."""
    return authorise.require_key_issuer(current_principal(), institution)


def require_key_acceptor(institution: str) -> ClientPrincipal:
    """The institution's own admin (never an operator)."""
    return authorise.require_key_acceptor(current_principal(), institution)


def require_institution_member(*roles: Role) -> tuple[ClientPrincipal, str]:
    """An API client of an institution (not an operator), and that institution's code."""
    return authorise.require_institution_member(current_principal(), *roles)


def require_delegation_manager(delegator: str) -> ClientPrincipal:
    """The delegating institution's admin, or a bank operator."""
    return authorise.require_delegation_manager(current_principal(), delegator)


def require_learner(learner_id: str | None = None) -> LearnerPrincipal:
    """A signed-in learner (that learner, when ``learner_id`` is given)."""
    return authorise.require_learner(current_principal(), learner_id)


def require_reader_of(
    learner_id: str,
    scope: ConsentScope = ConsentScope.READ,
    *,
    kind: ReadKind = ReadKind.ACCOUNT,
    resource: str | None = None,
) -> Principal:
    """The learner themself, or a client of an institution the learner consented to.

    An institution's read is noted as ``kind`` of ``resource`` in the learner's access log.
    """
    principal = authorise.require_principal(current_principal())
    with read_connection(services().engine) as connection:
        return authorise.require_reader_of(
            principal, connection, learner_id, scope, now=utc_now(), kind=kind, resource=resource
        )
