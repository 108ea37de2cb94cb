"""``/api/v1/applications``: 申请 → 审核 → 公示 → 认定, and the public notices with objections."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from creditbank.api.access import (
    require_client,
    require_institution_member,
    require_learner,
    require_principal,
)
from creditbank.api.bodies import json_object, load
from creditbank.api.evaluations import _answer
from creditbank.api.openapi import documented
from creditbank.api.schemas.evaluations import EvaluationOut
from creditbank.api.schemas.recognition import (
    ApplicationIn,
    ApplicationListOut,
    ApplicationOut,
    DecisionIn,
    NoticePeriodIn,
    NoticePeriodOut,
    ObjectionOut,
    PublicNoticeListOut,
    PublicNoticeOut,
    ReasonIn,
    ResolutionIn,
    WhatIfIn,
)
from creditbank.clock import utc_now
from creditbank.errors import Forbidden
from creditbank.evaluations import application_views
from creditbank.evaluations import applications as service
from creditbank.evaluations.application_views import ApplicationState, ApplicationView
from creditbank.evaluations.service import find_policy
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Role
from creditbank.institutions.service import set_notice_days
from creditbank.storage.database import read_connection
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import services

blueprint = Blueprint("applications", __name__, url_prefix="/api/v1/applications")
public_blueprint = Blueprint("public_notices", __name__, url_prefix="/api/v1/public-notices")
objections_blueprint = Blueprint("objections", __name__, url_prefix="/api/v1/objections")
settings_blueprint = Blueprint("notice_period", __name__, url_prefix="/api/v1/institutions")


def application_json(view: ApplicationView) -> dict[str, Any]:
    """An application as the API answers it."""
    return dict(
        ApplicationOut().dump(
            {
                **asdict(view),
                "policy": view.policy_id,
                "state": view.state.value,
                "steps": [{**asdict(s), "state": s.state.value} for s in view.steps],
                "objections": [asdict(o) for o in view.objections],
            }
        )
    )


def public_notice_json(view: ApplicationView) -> dict[str, Any]:
    """An application on notice, without personal data: masked name, credits and courses."""
    result = view.result or {}
    return dict(
        PublicNoticeOut().dump(
            {
                "application": view.id,
                "name": view.public_name,
                "institution": view.institution,
                "policy": view.policy_id,
                "programme": result.get("programme", ""),
                "recognised_credits": str(result.get("recognised_credits", "0")),
                "courses": [
                    {
                        "code": c["code"],
                        "title_zh": c["title_zh"],
                        "title_en": c["title_en"],
                        "recognised_credits": c["recognised_credits"],
                    }
                    for c in view.recognised_courses
                ],
                "notice_until": view.notice_until,
            }
        )
    )


def _readable(view: ApplicationView) -> None:
    principal = require_principal()
    if isinstance(principal, LearnerPrincipal) and principal.learner_id == view.learner:
        return
    if isinstance(principal, ClientPrincipal) and principal.institution == view.institution:
        return
    raise Forbidden("only the learner and the institution applied to may read an application")


@settings_blueprint.put("/<code>/notice-period")
@documented(
    "Set the public notice period (公示) of approved recognitions, in days",
    request=NoticePeriodIn,
    response=NoticePeriodOut,
    auth="bearer",
    errors=(400, 403, 404),
)
def notice_period(code: str) -> Response:
    """The institution's admin sets how many days an approved result is on public notice."""
    principal = require_client(code, Role.ADMIN)
    days = load(NoticePeriodIn(), json_object())["days"]
    index = set_notice_days(services().ledger, code, days, actor=principal.actor, now=utc_now())
    return jsonify(
        NoticePeriodOut().dump({"institution": code, "days": days, "ledger_index": index})
    )


@blueprint.post("")
@documented(
    "Apply for recognition (申请), giving evaluate consent with it",
    status=201,
    request=ApplicationIn,
    response=ApplicationOut,
    auth="bearer",
    errors=(400, 404),
)
def apply() -> tuple[Response, int]:
    """A learner applies at a policy's institution with chosen records."""
    learner = require_learner()
    data = load(ApplicationIn(), json_object())
    s = services()
    view = service.apply(
        s.ledger,
        learner_id=learner.learner_id,
        policy=find_policy(s.policies, data["policy"]),
        records=data["records"],
        consent_until=data["consent_until"],
        now=utc_now(),
    )
    return jsonify(application_json(view)), 201


@blueprint.get("")
@documented(
    "Applications: a learner's own, or an institution's",
    response=ApplicationListOut,
    auth="bearer",
    errors=(),
)
def list_applications() -> Response:
    """The learner's applications, or (for a registrar) the institution's open ones."""
    principal = require_principal()
    with read_connection(services().engine) as connection:
        if isinstance(principal, LearnerPrincipal):
            found = application_views.learner_applications(connection, principal.learner_id)
        else:
            _, code = require_institution_member(Role.REGISTRAR)
            asked = request.args.get("state")
            states = (
                [ApplicationState(asked)]
                if asked in {s.value for s in ApplicationState}
                else list(ApplicationState)
            )
            found = application_views.institution_applications(connection, code, states)
    return jsonify({"applications": [application_json(v) for v in found]})


@blueprint.get("/<application_id>")
@documented("An application with its steps", response=ApplicationOut, auth="bearer", errors=(404,))
def show(application_id: str) -> Response:
    """One application, for its learner or the institution applied to."""
    with read_connection(services().engine) as connection:
        view = application_views.read_application(connection, application_id)
    _readable(view)
    return jsonify(application_json(view))


@blueprint.post("/<application_id>/what-if")
@documented(
    "The registrar's what-if of the application's records (records nothing)",
    request=WhatIfIn,
    response=EvaluationOut,
    auth="bearer",
    errors=(400, 403, 404),
)
def what_if(application_id: str) -> Response:
    """Evaluate the chosen records with the registrar's exceptions; nothing is recorded."""
    client, code = require_institution_member(Role.REGISTRAR)
    data = load(WhatIfIn(), json_object())
    s = services()
    now = utc_now()
    with read_connection(s.engine) as connection:
        view = application_views.read_application(connection, application_id)
        result = service.review_what_if(
            connection,
            view,
            find_policy(s.policies, view.policy_id),
            data["exceptions"],
            institution=code,
            by=client.key_id,
            on=data["on"] or now.date(),
            now=now,
        )
    return jsonify(_answer(None, None, result))


@blueprint.post("/<application_id>/decision")
@documented(
    "The registrar's review (审核): approve, adjust or reject",
    request=DecisionIn,
    response=ApplicationOut,
    auth="bearer",
    errors=(400, 403, 404, 409),
)
def decide(application_id: str) -> Response:
    """Approve (to 公示, or committed at once without a notice period) or reject."""
    client, code = require_institution_member(Role.REGISTRAR)
    data = load(DecisionIn(), json_object())
    s = services()
    now = utc_now()
    with read_connection(s.engine) as connection:
        policy_id = application_views.read_application(connection, application_id).policy_id
    reason = data["reason"].strip() if data["reason"] else None
    view = service.decide(
        s.ledger,
        s.sealer,
        application_id,
        find_policy(s.policies, policy_id),
        institution=code,
        actor=client.actor,
        by=client.key_id,
        approve=data["decision"] == "approve",
        exceptions=data["exceptions"],
        reason=reason,
        on=data["on"] or now.date(),
        now=now,
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    return jsonify(application_json(view))


@blueprint.post("/<application_id>/commit")
@documented(
    "认定: commit the approved result once its public notice is over",
    status=201,
    response=EvaluationOut,
    auth="bearer",
    errors=(403, 404, 409),
)
def finalise(application_id: str) -> tuple[Response, int]:
    """Commit the approved result (no open objection, the notice period over)."""
    client, code = require_institution_member(Role.REGISTRAR)
    s = services()
    with read_connection(s.engine) as connection:
        policy_id = application_views.read_application(connection, application_id).policy_id
    committed = service.finalise(
        s.ledger,
        application_id,
        find_policy(s.policies, policy_id),
        institution=code,
        actor=client.actor,
        by=client.key_id,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    answer = _answer(
        committed.id,
        committed.ledger_index,
        committed.evaluation,
        transfers=committed.transfers,
    )
    return jsonify(answer), 201


@public_blueprint.get("")
@documented(
    "Applications on public notice (公示), without personal data",
    response=PublicNoticeListOut,
    errors=(),
)
def public_notices() -> Response:
    """Public: masked names, institutions, credits and courses, until when."""
    with read_connection(services().engine) as connection:
        found = application_views.public_notices(connection)
    return jsonify({"notices": [public_notice_json(v) for v in found]})


@public_blueprint.post("/<application_id>/objections")
@documented(
    "Object to an application on public notice (anyone, with a reason)",
    status=201,
    request=ReasonIn,
    response=ObjectionOut,
    errors=(400, 404, 409),
)
def object_to(application_id: str) -> tuple[Response, int]:
    """Lodge an objection; the institution's registrar resolves it."""
    body = load(ReasonIn(), json_object())
    found = service.lodge_objection(
        services().ledger, application_id, reason=body["reason"].strip(), now=utc_now()
    )
    return jsonify(ObjectionOut().dump(asdict(found))), 201


@objections_blueprint.post("/<objection_id>/resolution")
@documented(
    "Resolve an objection: uphold (back to review) or dismiss",
    request=ResolutionIn,
    response=ApplicationOut,
    auth="bearer",
    errors=(400, 403, 404, 409),
)
def resolve(objection_id: str) -> Response:
    """The registrar of the institution applied to resolves an objection, with a reason."""
    client, code = require_institution_member(Role.REGISTRAR)
    data = load(ResolutionIn(), json_object())
    view = service.resolve_objection(
        services().ledger,
        objection_id,
        institution=code,
        actor=client.actor,
        uphold=data["uphold"],
        reason=data["reason"].strip(),
        now=utc_now(),
    )
    return jsonify(application_json(view))
