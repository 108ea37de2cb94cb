"""Who is calling this request, and the checks every endpoint states before it acts.

Every check raises before anything is written: 401 when credentials are missing or bad,
403 when a known caller may not do this.
"""

from __future__ import annotations

from flask import g, request

from creditbank.auth.authenticate import authenticate, bearer_secret
from creditbank.auth.principals import ClientPrincipal, LearnerPrincipal, Principal, Role
from creditbank.clock import utc_now
from creditbank.errors import Forbidden, Unauthenticated
from creditbank.learners.service import ConsentScope, has_consent
from creditbank.services import services
from creditbank.storage.database import read_connection


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
    principal = current_principal()
    if principal is None:
        raise Unauthenticated("this endpoint needs an API key or a learner sign-in token")
    return principal


def require_operator() -> ClientPrincipal:
    """The bank's own administrators."""
    principal = require_principal()
    if not isinstance(principal, ClientPrincipal) or not principal.is_operator:
        raise Forbidden("only the bank's operators may do this")
    return principal


def require_client(institution: str | None = None, *roles: Role) -> ClientPrincipal:
    """An API client of ``institution`` (any, when None) holding one of ``roles``.

    The bank's operators pass too, since they administer every institution.
    """
    principal = require_principal()
    if not isinstance(principal, ClientPrincipal):
        raise Forbidden("this endpoint is for institutions' API clients")
    if principal.is_operator:
        return principal
    if principal.institution is None:
        raise Forbidden("this API key belongs to no institution")
    if institution is not None and principal.institution != institution:
        raise Forbidden(f"an API key of {principal.institution} cannot act for {institution}")
    allowed = set(roles) | {Role.ADMIN}
    if roles and principal.role not in allowed:
        wanted = " or ".join(sorted(role.value for role in allowed))
        raise Forbidden(f"this needs the {wanted} role; the key has {principal.role.value}")
    return principal


def require_institution_member(*roles: Role) -> tuple[ClientPrincipal, str]:
    """An API client of an institution (not an operator), and that institution's code."""
    principal = require_client(None, *roles)
    if principal.institution is None:
        raise Forbidden("only a member institution's API key can do this")
    return principal, principal.institution


def require_learner(learner_id: str | None = None) -> LearnerPrincipal:
    """A signed-in learner (that learner, when ``learner_id`` is given)."""
    principal = require_principal()
    if not isinstance(principal, LearnerPrincipal):
        raise Forbidden("this endpoint is for signed-in learners")
    if learner_id is not None and principal.learner_id != learner_id:
        raise Forbidden("a learner can see only their own account")
    return principal


def require_reader_of(learner_id: str, scope: ConsentScope = ConsentScope.READ) -> Principal:
    """The learner themself, or a client of an institution the learner consented to."""
    principal = require_principal()
    if isinstance(principal, LearnerPrincipal):
        if principal.learner_id != learner_id:
            raise Forbidden("a learner can see only their own account")
        return principal
    if principal.institution is None:
        raise Forbidden("the bank's operators do not read learners' accounts")
    with read_connection(services().engine) as connection:
        allowed = has_consent(connection, learner_id, principal.institution, scope, now=utc_now())
    if not allowed:
        # The same answer whether or not the account exists: no probing for accounts.
        raise Forbidden(f"this learner has given {principal.institution} no {scope.value} consent")
    return principal
