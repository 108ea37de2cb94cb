"""``/api/v1/institutions``: member institutions, their API keys and batch-signing keys."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify

from creditbank.api.access import (
    require_client,
    require_key_acceptor,
    require_key_issuer,
    require_operator,
)
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.members import (
    ClientIn,
    ClientListOut,
    ClientOut,
    InstitutionIn,
    InstitutionListOut,
    InstitutionOut,
    InstitutionSettingsIn,
    IssuedClientOut,
    SigningKeyIn,
    SigningKeyListOut,
    SigningKeyOut,
)
from creditbank.clock import utc_now
from creditbank.identity.principals import Role
from creditbank.institutions import clients, service
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("institutions", __name__, url_prefix="/api/v1/institutions")


def _institution(found: service.RegisteredInstitution) -> dict[str, Any]:
    return dict(
        InstitutionOut().dump(
            {
                **asdict(found.info),
                "registered_at": found.registered_at,
                "ledger_index": found.ledger_index,
                "left_at": found.left_at,
            }
        )
    )


def _client(info: clients.ClientInfo) -> dict[str, Any]:
    return {**asdict(info), "status": info.status.value, "issuer": info.issuer.value}


def _key(info: service.SigningKeyInfo) -> dict[str, Any]:
    return dict(SigningKeyOut().dump({**asdict(info), "public_key": info.public_key_b64}))


@blueprint.post("")
@documented(
    "Register a member institution",
    status=201,
    request=InstitutionIn,
    response=InstitutionOut,
    auth="bearer",
    errors=(400, 409),
)
def register() -> tuple[Response, int]:
    """Register a member institution (the bank's operators only; the log names which)."""
    principal = require_operator()
    data = load(InstitutionIn(), json_object())
    found = service.register_institution(
        services().ledger, service.InstitutionInfo(**data), actor=principal.actor, now=utc_now()
    )
    return jsonify(_institution(found)), 201


@blueprint.get("")
@documented("List member institutions", response=InstitutionListOut, errors=())
def index() -> Response:
    """List member institutions (public: membership is public knowledge)."""
    with read_connection(services().engine) as connection:
        found = service.list_institutions(connection)
    return jsonify({"institutions": [_institution(i) for i in found]})


@blueprint.get("/<code>")
@documented("Show a member institution", response=InstitutionOut, errors=(404,))
def show(code: str) -> Response:
    """Show one member institution."""
    with read_connection(services().engine) as connection:
        return jsonify(_institution(service.get_institution(connection, code)))


@blueprint.patch("/<code>")
@documented(
    "Change an institution's settings",
    request=InstitutionSettingsIn,
    response=InstitutionOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def change_settings(code: str) -> Response:
    """Require signed batches, or stop requiring them (the institution's admin)."""
    principal = require_client(code, Role.ADMIN)
    data = load(InstitutionSettingsIn(), json_object())
    found = service.set_signing_requirement(
        services().ledger,
        code,
        data["require_signed_batches"],
        actor=principal.actor,
        now=utc_now(),
    )
    return jsonify(_institution(found))


@blueprint.post("/<code>/clients")
@documented(
    "Issue an API key",
    status=201,
    request=ClientIn,
    response=IssuedClientOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def issue_client(code: str) -> tuple[Response, int]:
    """Issue an API key for the institution, on the record; the secret is in this answer only.

    The institution's admin issues active keys. A key the bank's operator issues is pending
    until the institution's admin accepts it, except the institution's first admin key: a
    bootstrap key, good only for issuing (once) the institution's own admin key here.
    """
    principal = require_key_issuer(code)
    data = load(ClientIn(), json_object())
    info, secret = clients.issue_client(
        services().ledger,
        code,
        Role(data["role"]),
        data["label"],
        by=clients.Acting.of(principal),
        now=utc_now(),
    )
    return jsonify(IssuedClientOut().dump({**_client(info), "secret": secret.text})), 201


@blueprint.get("/<code>/clients")
@documented("List API keys", response=ClientListOut, auth="bearer", errors=())
def list_clients(code: str) -> Response:
    """Every API key of the institution: status, who issued and accepted it (never secrets)."""
    require_client(code, Role.ADMIN)
    with read_connection(services().engine) as connection:
        found = clients.list_clients(connection, code)
    return jsonify(ClientListOut().dump({"clients": [_client(c) for c in found]}))


@blueprint.post("/<code>/clients/<key_id>/accept")
@documented(
    "Accept an operator-issued API key", response=ClientOut, auth="bearer", errors=(404, 409)
)
def accept_client(code: str, key_id: str) -> Response:
    """The institution's admin accepts a key the bank's operator issued for it (a log entry)."""
    principal = require_key_acceptor(code)
    info = clients.accept_client(
        services().ledger, code, key_id, by=clients.Acting.of(principal), now=utc_now()
    )
    return jsonify(ClientOut().dump(_client(info)))


@blueprint.post("/<code>/clients/<key_id>/revoke")
@documented("Revoke an API key", response=ClientOut, auth="bearer", errors=(404,))
def revoke_client(code: str, key_id: str) -> Response:
    """Revoke (or refuse, while pending) one of the institution's API keys (a log entry)."""
    principal = require_client(code, Role.ADMIN)
    info = clients.revoke_client(
        services().ledger, code, key_id, by=clients.Acting.of(principal), now=utc_now()
    )
    return jsonify(ClientOut().dump(_client(info)))


@blueprint.post("/<code>/keys")
@documented(
    "Register a batch-signing key",
    status=201,
    request=SigningKeyIn,
    response=SigningKeyOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def add_key(code: str) -> tuple[Response, int]:
    """Register an Ed25519 key the institution signs its batches with."""
    principal = require_client(code, Role.ADMIN)
    data = load(SigningKeyIn(), json_object())
    public_key = service.parse_public_key(data["public_key"])
    info = service.add_signing_key(
        services().ledger, code, public_key, actor=principal.actor, now=utc_now()
    )
    return jsonify(_key(info)), 201


@blueprint.get("/<code>/keys")
@documented("List batch-signing keys", response=SigningKeyListOut, errors=(404,))
def list_keys(code: str) -> Response:
    """List the institution's batch-signing keys (public: anyone may check authorship)."""
    with read_connection(services().engine) as connection:
        service.get_institution(connection, code)
        keys = service.list_keys(connection, code)
    return jsonify({"keys": [_key(k) for k in keys]})


@blueprint.post("/<code>/keys/<key_id>/revoke")
@documented("Revoke a batch-signing key", response=SigningKeyOut, auth="bearer", errors=(404, 409))
def revoke_key(code: str, key_id: str) -> Response:
    """Stop accepting batches signed with a key."""
    principal = require_client(code, Role.ADMIN)
    info = service.revoke_signing_key(
        services().ledger, code, key_id, actor=principal.actor, now=utc_now()
    )
    return jsonify(_key(info))
