"""The learner's side of recognition: evaluations with why, appeals (复核) and applications."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations import application_views, applications
from creditbank.evaluations import service as evaluations
from creditbank.records import service as records
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.web.outcomes import institution_names, line_of
from creditbank.wiring import services

blueprint = web_blueprint("web_recognition", "/portal")


@blueprint.get("/evaluations")
def evaluations_page() -> str:
    """Each committed evaluation: what was recognised, what was not and why; 复核."""
    learner = authorise.require_learner(signed_in())
    s = services()
    with read_connection(s.engine) as connection:
        found = evaluations.learner_evaluations(connection, learner.learner_id)
    return render_template(
        "web/portal/evaluations.html",
        evaluations=found,
        policies=s.policies,
        names=institution_names(),
    )


@blueprint.post("/evaluations/<evaluation_id>/appeal")
def appeal(evaluation_id: str) -> Reply:
    """The 复核 button: re-evaluate with the learner's reason; the result is notified."""
    learner = authorise.require_learner(signed_in())
    s = services()
    _, committed = evaluations.learner_appeal(
        s.ledger,
        s.catalogue,
        evaluation_id,
        learner_id=learner.learner_id,
        actor=learner.actor,
        reason=text_field("why", REASON),
        records=[],
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    body = committed.evaluation.body
    flash(
        tr(
            f"复核已完成：认定 {body['recognised_credits']} 学分，尚缺 {body['remaining_credits']} "
            "学分。结果已发送到您的通知。",
            f"Appeal decided: {body['recognised_credits']} credits recognised, "
            f"{body['remaining_credits']} still needed. The result is in your notices.",
        )
    )
    return redirect(url_for("web_recognition.evaluations_page") + f"#evaluation-{committed.id}")


@blueprint.get("/applications")
def applications_page() -> str:
    """The learner's applications with every step, and the form to apply."""
    learner = authorise.require_learner(signed_in())
    s = services()
    with read_connection(s.engine) as connection:
        found = application_views.learner_applications(connection, learner.learner_id)
        views = records.learner_records(connection, learner.learner_id)
    lines = [line_of(v) for v in views if v.status.value == "active"]
    return render_template(
        "web/portal/applications.html",
        applications=found,
        lines=lines,
        policies=sorted(s.policies.values(), key=lambda p: (p.programme.institution, p.id)),
        chosen=request.args.get("policy", ""),
        names=institution_names(),
        default_until=(utc_now() + timedelta(days=180)).date(),
    )


@blueprint.post("/applications")
def apply() -> Reply:
    """申请: apply under a policy with the chosen records, giving evaluate consent with it."""
    learner = authorise.require_learner(signed_in())
    s = services()
    until_text = field("consent_until", max_length=10)
    try:
        until = datetime.combine(date.fromisoformat(until_text), time.max, UTC)
    except ValueError:
        raise InvalidInput(
            tr("授权截止日期格式应为 YYYY-MM-DD", "consent_until must be a date YYYY-MM-DD"),
            problems=[FieldProblem("consent_until", "YYYY-MM-DD")],
        ) from None
    view = applications.apply(
        s.ledger,
        learner_id=learner.learner_id,
        policy=evaluations.find_policy(s.policies, field("policy", max_length=80)),
        records=request.form.getlist("records"),
        consent_until=until,
        now=utc_now(),
    )
    flash(tr("申请已提交，等待审核。", "Application submitted; it waits for review."))
    return redirect(url_for("web_recognition.applications_page") + f"#application-{view.id}")
