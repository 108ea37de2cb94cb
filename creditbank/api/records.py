"""``/api/v1/records``: posting batches, reading, correcting and revoking outcome records."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from creditbank.api.access import (
    require_institution_member,
    require_principal,
    require_reader_of,
)
from creditbank.api.bodies import json_object, load, raw_body
from creditbank.api.openapi import choice, documented
from creditbank.api.params import choice_param
from creditbank.api.schemas.records import (
    BatchOut,
    CorrectionIn,
    RecordBatchIn,
    RecordOut,
    RevocationIn,
)
from creditbank.auth.access_log import ReadKind
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.principals import ClientPrincipal, Role
from creditbank.institutions.service import BatchSignature
from creditbank.operations.expiry import expired_certificates
from creditbank.records import service
from creditbank.records.parsing import parse_outcome
from creditbank.storage.database import read_connection
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import services

blueprint = Blueprint("records", __name__, url_prefix="/api/v1/records")

SIGNATURE_HEADER = "Creditbank-Signature"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_SIGNATURE = re.compile(
    r"^keyid=([0-9a-f]{16});\s*sig=([A-Za-z0-9+/]+={0,2})(;\s*over=(body|items))?$"
)


def record_json(view: service.RecordView, expired: set[str] | None = None) -> dict[str, Any]:
    """The JSON form of a record (with its history when it was read with one).

    ``expired`` holds the ids of certificates the expiry sweep flagged; a certificate's JSON
    then says ``"expired": true`` or ``false``.
    """

    def version(v: service.RecordVersionView) -> dict[str, Any]:
        return {
            "version": v.version,
            "action": v.action.value,
            "outcome": dict(v.content),
            "reason": v.reason,
            "recorded_at": v.recorded_at.isoformat(),
            "ledger_index": v.ledger_index,
        }

    body: dict[str, Any] = {
        "id": view.id,
        "learner_id": view.learner,
        "institution": view.institution,
        "posted_by": view.institution,
        "source_institution": view.source,
        "delegation": view.delegation,
        "kind": view.kind,
        "status": view.status.value,
        "version": view.version,
        "posted_at": view.posted_at.isoformat(),
        "updated_at": view.updated_at.isoformat(),
        "outcome": dict(view.current.content),
        "ledger_index": view.current.ledger_index,
    }
    if expired is not None and view.kind == "certificate":
        body["expired"] = view.id in expired
    if view.history:
        body["history"] = [version(v) for v in view.history]
    return body


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise InvalidInput(
            "posting a batch needs an Idempotency-Key header",
            problems=[FieldProblem("Idempotency-Key", "is required")],
        )
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(
            "the Idempotency-Key header must be 1-200 visible ASCII characters",
            problems=[FieldProblem("Idempotency-Key", "must be 1-200 visible ASCII characters")],
        )
    return key


def _signature() -> BatchSignature | None:
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None:
        return None
    match = _SIGNATURE.fullmatch(header.strip())
    signature = None
    if match is not None:
        try:
            signature = base64.b64decode(match.group(2), validate=True)
        except binascii.Error:
            signature = None
    if match is None or signature is None or len(signature) != 64:
        raise InvalidInput(
            f"the {SIGNATURE_HEADER} header must be "
            "'keyid=<16 hex>; sig=<base64 Ed25519>[; over=items]'",
            problems=[FieldProblem(SIGNATURE_HEADER, "malformed")],
        )
    return BatchSignature(match.group(1), signature, over_items=match.group(4) == "items")


@blueprint.post("")
@documented(
    "Post a batch of records, all or nothing",
    status=201,
    request=RecordBatchIn,
    response=BatchOut,
    auth="bearer",
    headers=(("Idempotency-Key", True), ("Creditbank-Signature", False)),
    errors=(400, 409, 413),
)
def post_batch() -> tuple[Response, int]:
    """Post a batch of records (``RecordBatchIn``), all or nothing, idempotently."""
    client, code = require_institution_member(Role.POSTER)
    key = _idempotency_key()
    signature = _signature()
    records = RecordBatchIn(today=utc_now().date()).load(json_object())
    answer = service.post_batch(
        services().ledger,
        service.BatchRequest(code, client.key_id, key, raw_body(), records, signature),
        now=utc_now(),
    )
    response = jsonify(answer.body)
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


def _readable(view: service.RecordView) -> None:
    principal = require_principal()
    if isinstance(principal, ClientPrincipal) and principal.institution == view.institution:
        return  # the posting institution may always read what it posted
    # The learner, or an institution they consented to (noted in the learner's access log).
    require_reader_of(view.learner, kind=ReadKind.RECORD, resource=view.id)


@blueprint.get("/<record_id>")
@documented(
    "A record as it stands",
    response=RecordOut,
    auth="bearer",
    query=(("history", choice("true", "false"), False),),
    errors=(400, 404),
)
def show(record_id: str) -> Response:
    """A record as it stands; ``?history=true`` adds every version."""
    require_principal()
    history = choice_param("history", ("true", "false"), "false")
    with read_connection(services().engine) as connection:
        view = service.read_record(connection, record_id, history=history == "true")
        expired = expired_certificates(connection, [view.id])
    _readable(view)
    return jsonify(record_json(view, expired))


@blueprint.post("/<record_id>/corrections")
@documented(
    "Correct a record",
    request=CorrectionIn,
    response=RecordOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def correct(record_id: str) -> Response:
    """Correct a record the caller's institution posted: ``{"outcome": {...}, "reason": ...}``."""
    _, code = require_institution_member(Role.POSTER)
    body = load(CorrectionIn(), json_object())
    reason = body["reason"].strip()
    try:
        outcome = parse_outcome(body["outcome"], today=utc_now().date())
    except InvalidInput as exc:
        problems = [FieldProblem(f"outcome.{p.field}", p.reason) for p in exc.problems]
        raise InvalidInput(exc.detail, problems=problems) from None
    s = services()
    view = service.correct_record(
        s.ledger,
        record_id,
        outcome,
        institution=code,
        reason=reason,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_record,
    )
    return jsonify(record_json(view))


@blueprint.post("/<record_id>/revocation")
@documented(
    "Revoke a record",
    request=RevocationIn,
    response=RecordOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def revoke(record_id: str) -> Response:
    """Revoke a record the caller's institution posted: ``{"reason": ...}``."""
    _, code = require_institution_member(Role.POSTER)
    body = load(RevocationIn(), json_object())
    s = services()
    view = service.revoke_record(
        s.ledger,
        record_id,
        institution=code,
        reason=body["reason"].strip(),
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_record,
    )
    return jsonify(record_json(view))
