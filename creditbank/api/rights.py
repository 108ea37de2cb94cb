"""A learner's rights over their data: the copy, who looked, and correction requests.

``/api/v1/learners/me/…`` is the signed-in learner's; ``/api/v1/correction-requests`` is the
posting institution's side of a correction request.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify

from creditbank.api.access import require_institution_member, require_learner
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import choice, documented
from creditbank.api.params import choice_param
from creditbank.api.schemas.rights import (
    AccessListOut,
    CorrectionAnswerIn,
    CorrectionListOut,
    CorrectionOut,
    CorrectionRequestIn,
)
from creditbank.auth.access_log import learner_reads
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.principals import Role
from creditbank.records.parsing import parse_outcome
from creditbank.rights import corrections, export
from creditbank.storage.database import read_connection
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import services

blueprint = Blueprint("rights", __name__, url_prefix="/api/v1/learners/me")
institution_blueprint = Blueprint(
    "correction_requests", __name__, url_prefix="/api/v1/correction-requests"
)
STATUSES = ("open", "corrected", "revoked", "declined", "all")


@blueprint.get("/data-export")
@documented(
    "A copy of everything the bank holds about the learner (ZIP: data.json and CSV tables)",
    response="zip",
    auth="bearer",
    errors=(),
)
def data_export() -> Response:
    """The signed-in learner's data as a ZIP archive; the download is a log entry."""
    learner = require_learner()
    s = services()
    made = export.export_data(s.ledger, s.sealer, learner.learner_id, now=utc_now())
    response = Response(export.archive(made), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.archive_name(made)}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Creditbank-Ledger-Index"] = str(made.ledger_index)
    return response


@blueprint.get("/access-log")
@documented("Who read the learner's data", response=AccessListOut, auth="bearer", errors=())
def access_log() -> Response:
    """Institutions' reads of the signed-in learner's data under consent, newest first."""
    learner = require_learner()
    with read_connection(services().engine) as connection:
        reads = learner_reads(connection, learner.learner_id)
    return jsonify(AccessListOut().dump({"reads": [asdict(read) for read in reads]}))


def correction_json(view: corrections.CorrectionView) -> dict[str, Any]:
    """A correction request as the API answers it."""
    return dict(CorrectionOut().dump({**asdict(view), "status": view.status.value}))


@blueprint.get("/correction-requests")
@documented(
    "The learner's correction requests", response=CorrectionListOut, auth="bearer", errors=()
)
def my_requests() -> Response:
    """The signed-in learner's correction requests, newest first."""
    learner = require_learner()
    with read_connection(services().engine) as connection:
        found = corrections.learner_requests(connection, learner.learner_id)
    return jsonify({"requests": [correction_json(view) for view in found]})


@blueprint.post("/correction-requests")
@documented(
    "Ask the posting institution to correct one of the learner's records",
    status=201,
    request=CorrectionRequestIn,
    response=CorrectionOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def ask() -> tuple[Response, int]:
    """Flag one of the learner's records as wrong, saying why; its poster is told."""
    learner = require_learner()
    data = load(CorrectionRequestIn(), json_object())
    view = corrections.request_correction(
        services().ledger, learner.learner_id, data["record"], data["reason"], now=utc_now()
    )
    return jsonify(correction_json(view)), 201


@institution_blueprint.get("")
@documented(
    "Correction requests about the caller's institution's records (oldest first)",
    response=CorrectionListOut,
    auth="bearer",
    query=(("status", choice(*STATUSES), False),),
)
def institution_requests() -> Response:
    """Requests about records the caller's institution posted (``status``, default open)."""
    _, code = require_institution_member(Role.POSTER)
    status = choice_param("status", STATUSES, "open")
    with read_connection(services().engine) as connection:
        found = corrections.institution_requests(
            connection,
            code,
            status=None if status == "all" else corrections.CorrectionStatus(status),
        )
    return jsonify({"requests": [correction_json(view) for view in found]})


@institution_blueprint.post("/<request_id>/answer")
@documented(
    "Answer a correction request: correct the record, revoke it, or decline",
    request=CorrectionAnswerIn,
    response=CorrectionOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def answer(request_id: str) -> Response:
    """The posting institution's answer; the learner is notified."""
    client, code = require_institution_member(Role.POSTER)
    data = load(CorrectionAnswerIn(), json_object())
    outcome = None
    if data["outcome"] is not None:
        try:
            outcome = parse_outcome(data["outcome"], today=utc_now().date())
        except InvalidInput as exc:
            problems = [FieldProblem(f"outcome.{p.field}", p.reason) for p in exc.problems]
            raise InvalidInput(exc.detail, problems=problems) from None
    s = services()
    view = corrections.answer_correction(
        s.ledger,
        request_id,
        corrections.Answer(corrections.CorrectionStatus(data["decision"]), data["reason"], outcome),
        institution=code,
        actor=client.actor,
        by=client.key_id,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_record,
    )
    return jsonify(correction_json(view))
