"""Who may do what: the checks every API endpoint and web page states before it acts.

Each check takes the caller (None when anonymous) and the facts it needs, and raises before
anything is written: :class:`Unauthenticated` (401) when nobody is signed in, :class:`Forbidden`
(403) when a known caller may not do this. Reading the caller from a request is the edges' job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from creditbank.auth.access_log import Read, ReadKind, note_read
from creditbank.errors import Forbidden, Unauthenticated
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Principal, Role
from creditbank.learners.service import ConsentScope, active_consent

BOOTSTRAP_ONLY = (
    "this is a bootstrap key: it is good only for issuing the institution's own admin key "
    "(POST /api/v1/institutions/{code}/clients with role admin), which revokes it"
)


def require_principal(principal: Principal | None) -> Principal:
    """Any signed-in caller (a bootstrap key is good for nothing but its exchange)."""
    if principal is None:
        raise Unauthenticated("this endpoint needs an API key or a learner sign-in token")
    if isinstance(principal, ClientPrincipal) and principal.bootstrap:
        raise Forbidden(BOOTSTRAP_ONLY)
    return principal


def require_key_issuer(principal: Principal | None, institution: str) -> ClientPrincipal:
    """Who may issue a key of ``institution``: an operator, its admin, or its bootstrap key.

    What each may issue (and whether the key starts pending) is the service's rule.
    """
    if isinstance(principal, ClientPrincipal) and principal.bootstrap:
        if principal.institution != institution:
            raise Forbidden(f"an API key of {principal.institution} cannot act for {institution}")
        return principal
    return require_client(principal, institution, Role.ADMIN)


def require_key_acceptor(principal: Principal | None, institution: str) -> ClientPrincipal:
    """The admin of ``institution`` itself: an operator never accepts a key for it."""
    found = require_client(principal, institution, Role.ADMIN)
    if found.is_operator:
        raise Forbidden(f"only the admin of {institution} accepts its keys, not an operator")
    return found


def require_operator(principal: Principal | None) -> ClientPrincipal:
    """The bank's own administrators."""
    found = require_principal(principal)
    if not isinstance(found, ClientPrincipal) or not found.is_operator:
        raise Forbidden("only the bank's operators may do this")
    return found


def require_client(
    principal: Principal | None, institution: str | None = None, *roles: Role
) -> ClientPrincipal:
    """An API client of ``institution`` (any, when None) holding one of ``roles``.

    The bank's operators pass too, since they administer every institution.
    """
    found = require_principal(principal)
    if not isinstance(found, ClientPrincipal):
        raise Forbidden("this endpoint is for institutions' API clients")
    if found.is_operator:
        return found
    if found.institution is None:
        raise Forbidden("this API key belongs to no institution")
    if institution is not None and found.institution != institution:
        raise Forbidden(f"an API key of {found.institution} cannot act for {institution}")
    allowed = set(roles) | {Role.ADMIN}
    if roles and found.role not in allowed:
        wanted = " or ".join(sorted(role.value for role in allowed))
        raise Forbidden(f"this needs the {wanted} role; the key has {found.role.value}")
    return found


def require_institution_member(
    principal: Principal | None, *roles: Role
) -> tuple[ClientPrincipal, str]:
    """An API client of an institution (not an operator), and that institution's code."""
    found = require_client(principal, None, *roles)
    if found.institution is None:
        raise Forbidden("only a member institution's API key can do this")
    return found, found.institution


def require_delegation_manager(principal: Principal | None, delegator: str) -> ClientPrincipal:
    """Who may grant or end a delegation from ``delegator``: its admin, or a bank operator.

    An operator's act is recorded as an operator's in the delegation's log entry.
    """
    return require_client(principal, delegator, Role.ADMIN)


def require_learner(principal: Principal | None, learner_id: str | None = None) -> LearnerPrincipal:
    """A signed-in learner (that learner, when ``learner_id`` is given)."""
    found = require_principal(principal)
    if not isinstance(found, LearnerPrincipal):
        raise Forbidden("this endpoint is for signed-in learners")
    if learner_id is not None and found.learner_id != learner_id:
        raise Forbidden("a learner can see only their own account")
    return found


def require_reader_of(
    principal: Principal | None,
    connection: Connection,
    learner_id: str,
    scope: ConsentScope = ConsentScope.READ,
    *,
    now: datetime,
    kind: ReadKind = ReadKind.ACCOUNT,
    resource: str | None = None,
) -> Principal:
    """The learner themself, or a client of an institution the learner consented to.

    An institution's read is noted in the learner's access log as ``kind`` of ``resource``
    (the account id when None), under the consent that allowed it.
    """
    found = require_principal(principal)
    if isinstance(found, LearnerPrincipal):
        if found.learner_id != learner_id:
            raise Forbidden("a learner can see only their own account")
        return found
    if found.institution is None:
        raise Forbidden("the bank's operators do not read learners' accounts")
    consent = active_consent(connection, learner_id, found.institution, scope, now=now)
    if consent is None:
        # The same answer whether or not the account exists: no probing for accounts.
        raise Forbidden(f"this learner has given {found.institution} no {scope.value} consent")
    note_read(
        Read(
            learner_id,
            found.institution,
            found.key_id,
            consent,
            kind,
            learner_id if resource is None else resource,
        )
    )
    return found
