"""The institution admin's API keys: every key, its status and who issued and accepted it.

Here the admin accepts (or refuses, by revoking) a key the bank's operator issued for the
institution, issues its own keys, and exchanges a bootstrap key for its own admin key.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.principals import ClientPrincipal, Role
from creditbank.institutions import clients
from creditbank.storage.database import read_connection
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.wiring import services

blueprint = web_blueprint("web_institution_keys", "/institution/keys")


def _caller() -> tuple[ClientPrincipal, str]:
    """The institution's admin, or its bootstrap key (which may only be exchanged)."""
    principal = signed_in()
    if isinstance(principal, ClientPrincipal) and principal.bootstrap:
        code = principal.institution or ""
        return authorise.require_key_issuer(principal, code), code
    return authorise.require_institution_member(principal, Role.ADMIN)


def _page(
    principal: ClientPrincipal,
    code: str,
    issued: str | None = None,
    issued_status: str | None = None,
) -> str:
    with read_connection(services().engine) as connection:
        found = clients.list_clients(connection, code)
    return render_template(
        "web/institution/keys.html",
        code=code,
        clients=found,
        bootstrap=principal.bootstrap,
        roles=[Role.ADMIN] if principal.bootstrap else list(Role),
        issued=issued,
        issued_status=issued_status,
    )


@blueprint.get("")
def index() -> str:
    """Every key of the institution; a bootstrap key sees only its exchange."""
    principal, code = _caller()
    return _page(principal, code)


@blueprint.post("")
def issue() -> str:
    """Issue a key of the institution's own (a log entry); the secret is shown this once."""
    principal, code = _caller()
    role_text = field("role", max_length=16)
    if role_text not in {r.value for r in Role}:
        raise InvalidInput("role", problems=[FieldProblem("role", "poster, registrar or admin")])
    issued, secret = clients.issue_client(
        services().ledger,
        code,
        Role(role_text),
        field("label", max_length=200),
        by=clients.Acting.of(principal),
        now=utc_now(),
    )
    return _page(principal, code, issued=secret.text, issued_status=issued.status.value)


@blueprint.post("/<key_id>/accept")
def accept(key_id: str) -> Reply:
    """Accept a key the bank's operator issued for the institution (a log entry)."""
    _, code = _caller()
    principal = authorise.require_key_acceptor(signed_in(), code)
    found = clients.accept_client(
        services().ledger, code, key_id, by=clients.Acting.of(principal), now=utc_now()
    )
    flash(
        tr(
            f"已确认密钥 {key_id}，账本序号 {found.accepted_index}。",
            f"Key {key_id} accepted at ledger index {found.accepted_index}.",
        )
    )
    return redirect(url_for("web_institution_keys.index"))


@blueprint.post("/<key_id>/revoke")
def revoke(key_id: str) -> Reply:
    """Revoke a key, or refuse a pending one (a log entry)."""
    _, code = _caller()
    principal = authorise.require_client(signed_in(), code, Role.ADMIN)
    found = clients.revoke_client(
        services().ledger, code, key_id, by=clients.Acting.of(principal), now=utc_now()
    )
    flash(
        tr(
            f"已吊销密钥 {key_id}，账本序号 {found.revoked_index}。",
            f"Key {key_id} revoked at ledger index {found.revoked_index}.",
        )
    )
    return redirect(url_for("web_institution_keys.index"))
