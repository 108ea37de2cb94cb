"""The learner's side of recognition: evaluations with why, appeals (复核) and applications."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.evaluations import service as evaluations
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, text_field, web_blueprint
from creditbank.web.i18n import current_language, tr
from creditbank.web.outcomes import institution_names
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
        text_key=current_language(),
    )


@blueprint.post("/evaluations/<evaluation_id>/appeal")
def appeal(evaluation_id: str) -> Reply:
    """The 复核 button: re-evaluate with the learner's reason; the result is notified."""
    learner = authorise.require_learner(signed_in())
    s = services()
    _, committed = evaluations.learner_appeal(
        s.ledger,
        s.policies,
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
