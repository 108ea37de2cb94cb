"""Transcripts over HTTP: learners issue, list, fetch and revoke; anyone verifies.

Public, for verifiers: ``POST /api/v1/verify``, ``GET /api/v1/verify/{code}``, the issuer's
``/.well-known/did.json``, the project's JSON-LD context at ``/contexts/v1`` and the signed
status lists at ``/api/v1/status-lists/{id}``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from creditbank.api.access import require_learner
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.transcripts import (
    CredentialOut,
    TranscriptIn,
    TranscriptListOut,
    TranscriptRevocationIn,
    VerificationOut,
    VerifyQueryIn,
)
from creditbank.clock import utc_now
from creditbank.errors import CreditbankError, NotFound
from creditbank.numerals import natural
from creditbank.storage.database import read_connection
from creditbank.transcripts import status
from creditbank.transcripts.contexts import CONTEXT_MEDIA_TYPE, creditbank_context_bytes
from creditbank.transcripts.issued import (
    TranscriptErased,
    TranscriptSummary,
    find_by_code,
    list_transcripts,
    read_transcript,
    revoke_transcript,
)
from creditbank.transcripts.issuer import did_document, trust_list
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.kept_pdfs import KeptPdfs
from creditbank.transcripts.online import verify_online
from creditbank.transcripts.printing import pdf_renderer
from creditbank.transcripts.status_lists import status_list_document
from creditbank.transcripts.verdict import VerdictClass
from creditbank.transcripts.verify import Report
from creditbank.transcripts.view import view_from_credential
from creditbank.wiring import read_engine, services

blueprint = Blueprint("transcripts", __name__, url_prefix="/api/v1/transcripts")
verify_blueprint = Blueprint("verify", __name__, url_prefix="/api/v1")
public_blueprint = Blueprint("issuer", __name__)

VC_MEDIA_TYPE = "application/vc+ld+json"
JSON_TYPES = (VC_MEDIA_TYPE, "application/ld+json", "application/json")
PDF_TYPE = "application/pdf"


class NotAcceptable(CreditbankError):
    """No representation the client accepts."""

    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


def _body() -> dict[str, Any]:
    """The body as a JSON object, for the JSON and JSON-LD media types alike."""
    return json_object(JSON_TYPES)


def _json_ld(document: Any, mimetype: str = VC_MEDIA_TYPE, status: int = 200) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), status=status, mimetype=mimetype)


def summary_json(summary: TranscriptSummary) -> dict[str, Any]:
    """The JSON form of a transcript in a learner's list."""
    return {
        "id": summary.id,
        "verification_code": summary.code,
        "language": summary.language,
        "issued_at": summary.issued_at.isoformat(),
        "valid_until": summary.valid_until.isoformat(),
        "records": summary.records,
        "status": "revoked" if summary.revoked_at is not None else "active",
        "revoked_at": None if summary.revoked_at is None else summary.revoked_at.isoformat(),
        "revoked_reason": summary.revoked_reason,
    }


@blueprint.post("")
@documented(
    "Issue a signed transcript of the learner's chosen records and recognised transfers",
    status=201,
    request=TranscriptIn,
    response=CredentialOut,
    auth="bearer",
    errors=(400, 409),
)
def issue() -> Response:
    """Issue a transcript (selective disclosure, language, 30-180 days of validity)."""
    learner = require_learner()
    data = load(TranscriptIn(), _body())
    opened = services()
    issued = issue_transcript(
        opened.ledger,
        opened.sealer,
        opened.issuer_identity(),
        learner.learner_id,
        witness_keys=opened.settings.witness_keys,
        record_ids=data.get("records"),
        language=data["language"],
        validity_days=data["validity_days"],
        now=utc_now(),
    )
    response = _json_ld(issued.credential, status=201)
    response.headers["Location"] = f"/api/v1/transcripts/{issued.id}"
    response.headers["Creditbank-Verification-Code"] = issued.code
    return response


@blueprint.get("")
@documented("The learner's transcripts", response=TranscriptListOut, auth="bearer", errors=())
def list_own() -> Response:
    """List the signed-in learner's transcripts, newest first."""
    learner = require_learner()
    with read_connection(services().engine) as connection:
        found = list_transcripts(connection, learner.learner_id)
    return jsonify({"transcripts": [summary_json(s) for s in found]})


@blueprint.get("/<transcript_id>")
@documented(
    "One transcript as JSON-LD (or PDF, by Accept)",
    response=CredentialOut,
    auth="bearer",
    errors=(404, 406),
)
def read(transcript_id: str) -> Response:
    """Serve a transcript as application/vc+ld+json, application/ld+json or application/pdf."""
    learner = require_learner()
    renderer = pdf_renderer()
    offered = [*JSON_TYPES, PDF_TYPE] if renderer is not None else list(JSON_TYPES)
    best = (
        request.accept_mimetypes.best_match(offered) if request.accept_mimetypes else VC_MEDIA_TYPE
    )
    if best is None:
        wanted = request.headers.get("Accept", "")
        raise NotAcceptable(f"cannot serve {wanted!r}; offered: {', '.join(offered)}")
    opened = services()
    summary, credential = read_transcript(
        opened.engine, opened.sealer, transcript_id, learner.learner_id
    )
    if best == PDF_TYPE:
        kept = KeptPdfs(opened.settings.pdf_path, opened.sealer)
        pdf = kept.render_once(
            summary.id,
            summary.language,
            lambda: bytes(renderer(view_from_credential(credential), language=summary.language)),
        )
        return Response(pdf, mimetype=PDF_TYPE)
    return _json_ld(credential, best)


@blueprint.post("/<transcript_id>/revocation")
@documented(
    "Revoke one of the learner's transcripts",
    request=TranscriptRevocationIn,
    response=TranscriptListOut,
    auth="bearer",
    errors=(404, 409),
)
def revoke(transcript_id: str) -> Response:
    """Revoke a transcript: its status list bit is set and a log entry records it."""
    learner = require_learner()
    raw = _body() if request.get_data(cache=True) else {}
    data = load(TranscriptRevocationIn(), raw)
    opened = services()
    summary = revoke_transcript(
        opened.ledger,
        opened.issuer_identity(),
        transcript_id,
        learner.learner_id,
        reason=data["reason"],
        now=utc_now(),
    )
    return jsonify(summary_json(summary))


@verify_blueprint.post("/verify")
@documented("Verify a transcript (every check, by name)", response=VerificationOut, errors=(400,))
def verify() -> Response:
    """Verify a transcript sent as the body: signatures, ledger proofs, dates and status.

    ``?require_witnesses=K`` also requires K of the bank's configured witnesses to have
    cosigned the transcript's checkpoint.
    """
    query = load(VerifyQueryIn(), request.args.to_dict())
    opened = services()
    report = verify_online(
        opened.ledger,
        opened.issuer_identity(),
        _body(),
        witness_keys=opened.settings.witness_keys,
        now=utc_now(),
        require_witnesses=query["require_witnesses"],
        reads=read_engine(read_only_request=True),
    )
    return jsonify(report.to_json())


def code_lookup_claims(report: Report, credential: dict[str, Any]) -> dict[str, Any]:
    """What a code lookup shows of the transcript beside its verdict.

    Verified: the transcript. Failed: its claims, only as claimed and not verified. Revoked:
    nothing of the grades, the verdict says when and why.
    """
    if report.valid:
        return {"transcript": credential}
    if report.verdict.kind is VerdictClass.REVOKED:
        return {}
    return {"claimed": credential}


@verify_blueprint.get("/verify/<code>")
@documented("Verify a transcript by its online code", response=VerificationOut, errors=(404,))
def verify_code(code: str) -> Response:
    """Look a transcript up by its verification code and verify it."""
    opened = services()
    try:
        _, credential = find_by_code(opened.engine, opened.sealer, code)
    except TranscriptErased as gone:
        return jsonify(gone.report().to_json())
    report = verify_online(
        opened.ledger,
        opened.issuer_identity(),
        credential,
        witness_keys=opened.settings.witness_keys,
        now=utc_now(),
        reads=read_engine(read_only_request=True),
    )
    return jsonify({**report.to_json(), **code_lookup_claims(report, credential)})


@verify_blueprint.get("/status-lists/<list_id>")
@documented("A signed Bitstring Status List credential", response=CredentialOut, errors=(404,))
def status_list(list_id: str) -> Response:
    """Serve a status list credential as stored (signed as each revocation commits)."""
    number = natural(list_id, high=status.MAX_LIST_ID)
    if number is None:
        raise NotFound(f"no status list {list_id!r}")
    document = status_list_document(services().engine, number)
    response = _json_ld(document)
    response.headers["Cache-Control"] = "no-cache"
    return response


@public_blueprint.get("/.well-known/did.json")
@documented("The issuer's DID document (current and earlier keys)", errors=())
def did_json() -> Response:
    """Serve the bank's DID document."""
    opened = services()
    document = did_document(opened.issuer_identity(), opened.ledger.keyring.verifiers())
    return _json_ld(document, "application/did+json")


@public_blueprint.get("/.well-known/creditbank-trust-list.json")
@documented(
    "The bank's trust list for offline verifiers (its DID, log and signing keys)", errors=()
)
def trust_list_json() -> Response:
    """Serve the trust list ``creditbank trust-list`` writes, for ``creditbank verify --trust``.

    A verifier should take it once over a channel it trusts (the bank's HTTPS site, or a
    copy published by the education authority), not beside each transcript.
    """
    opened = services()
    document = trust_list(opened.issuer_identity(), opened.ledger.keyring.verifiers())
    return _json_ld(document, "application/json")


@public_blueprint.get("/contexts/v1")
@documented("The project's JSON-LD context", errors=())
def context() -> Response:
    """Serve the project's JSON-LD context, byte for byte as shipped."""
    response = Response(creditbank_context_bytes(), mimetype=CONTEXT_MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
