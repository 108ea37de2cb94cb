"""``/api/v1/cohorts``: a registrar's cohort of what-if evaluations, run in the background."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, jsonify

from creditbank.api.access import require_institution_member
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.cohorts import CohortIn, CohortOut
from creditbank.clock import utc_now
from creditbank.cohorts import service
from creditbank.evaluations.service import choose_policy
from creditbank.identity.principals import Role
from creditbank.wiring import services

blueprint = Blueprint("cohorts", __name__, url_prefix="/api/v1/cohorts")


@blueprint.post("")
@documented(
    "Submit a cohort evaluation",
    status=202,
    request=CohortIn,
    response=CohortOut,
    auth="bearer",
    errors=(400, 404),
)
def submit() -> tuple[Response, int]:
    """Queue a cohort; it runs in the background (poll its progress)."""
    client, code = require_institution_member(Role.REGISTRAR)
    data = load(CohortIn(), json_object())
    s = services()
    on = data["on"] or utc_now().date()
    chosen = choose_policy(
        s.catalogue, data["policy"], on=on, intake=data["intake"], version=data["version"]
    )
    job = service.submit(
        s.engine,
        s.policies,
        institution=code,
        submitted_by=client.key_id,
        policy_id=data["policy"],
        on=on,
        learners=data["learners"],
        applying=chosen.policy,
        applies_on=chosen.applies_on,
    )
    return jsonify(CohortOut().dump(asdict(job))), 202


@blueprint.get("/<job_id>")
@documented("A cohort's progress", response=CohortOut, auth="bearer", errors=(404,))
def progress(job_id: str) -> Response:
    """How far a cohort has got."""
    _, code = require_institution_member(Role.REGISTRAR)
    return jsonify(CohortOut().dump(asdict(service.job_view(services().engine, job_id, code))))


@blueprint.get("/<job_id>/results.csv")
@documented("A cohort's results as CSV", response="csv", auth="bearer", errors=(404,))
def results(job_id: str) -> Response:
    """The results so far: one line per learner evaluated."""
    _, code = require_institution_member(Role.REGISTRAR)
    body = service.results_csv(services().engine, job_id, code)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="cohort-{job_id}.csv"'
    return response
