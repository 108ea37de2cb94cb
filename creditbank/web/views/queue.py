"""The registrar's work queue: transfers under review, applications, objections and appeals."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.evaluations import application_views, applications, review
from creditbank.evaluations import service as evaluations
from creditbank.evaluations.application_views import ApplicationState
from creditbank.identity.principals import ClientPrincipal, Role
from creditbank.institutions.service import MAX_NOTICE_DAYS, notice_days, set_notice_days
from creditbank.learners import service as learners
from creditbank.learners.service import ConsentScope
from creditbank.records import service as records
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, integer, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.web.outcomes import institution_names, line_of
from creditbank.web.views.registrar import exception_items
from creditbank.wiring import services

blueprint = web_blueprint("web_queue", "/registrar/queue")


def _registrar() -> tuple[ClientPrincipal, str]:
    return authorise.require_institution_member(signed_in(), Role.REGISTRAR)


@blueprint.get("")
def index() -> str:
    """What waits for a registrar's decision, oldest first."""
    client, code = _registrar()
    s = services()
    with read_connection(s.engine) as connection:
        reviews = review.review_queue(connection, code)
        waiting = application_views.institution_applications(
            connection, code, [ApplicationState.APPLIED]
        )
        on_notice = application_views.institution_applications(
            connection, code, [ApplicationState.IN_NOTICE]
        )
        # Names only of learners who still let the institution read their account.
        readable = set(
            learners.consenting_learners(connection, code, ConsentScope.READ, now=utc_now())
        )
        people = {r.learner for r in reviews} | {a.learner for a in waiting}
        names = {
            learner: learners.read_account(connection, s.sealer, learner).name
            for learner in people & readable
        }
        days = notice_days(connection, code)
    return render_template(
        "web/queue/index.html",
        code=code,
        notice_days=days,
        max_notice_days=MAX_NOTICE_DAYS,
        is_admin=client.role is Role.ADMIN,
        names=names,
        reviews=reviews,
        waiting=waiting,
        on_notice=on_notice,
        policies=services().policies,
        now=utc_now(),
    )


@blueprint.post("/notice-period")
def notice_period() -> Reply:
    """The institution's admin sets the public notice period (公示) in days; 0 for none."""
    _, code = _registrar()
    client = authorise.require_client(signed_in(), code, Role.ADMIN)
    days = integer("days", 0, MAX_NOTICE_DAYS)
    set_notice_days(services().ledger, code, days, actor=client.actor, now=utc_now())
    flash(tr(f"公示期已设为 {days} 天。", f"The public notice period is now {days} days."))
    return redirect(url_for("web_queue.index") + "#notice-period")


@blueprint.post("/transfers/<transfer_id>/confirm")
def confirm(transfer_id: str) -> Reply:
    """Confirm a transfer under review with a reason: it stands again (logged)."""
    client, code = _registrar()
    index = review.confirm_transfer(
        services().ledger,
        transfer_id,
        institution=code,
        actor=client.actor,
        reason=text_field("reason", REASON),
        now=utc_now(),
    )
    flash(tr(f"已确认，账本序号 {index}。", f"Confirmed at ledger index {index}."))
    return redirect(url_for("web_queue.index") + "#reviews")


def _application_page(
    application_id: str, raw: list[dict[str, Any]], status: int = 200
) -> tuple[str, int]:
    client, code = _registrar()
    s = services()
    now = utc_now()
    with read_connection(s.engine) as connection:
        view = application_views.read_application(connection, application_id)
        policy = evaluations.find_policy(s.policies, view.policy_id)
        result = applications.review_what_if(
            connection,
            view,
            policy,
            raw,
            institution=code,
            by=client.key_id,
            on=now.date(),
            now=now,
        )
        account = learners.read_account(connection, s.sealer, view.learner)
        chosen = [line_of(records.read_record(connection, r)) for r in view.records]
    page = render_template(
        "web/queue/application.html",
        application=view,
        account=account,
        lines=chosen,
        policy=policy,
        result=result.body,
        titles={line.id: line.title for line in chosen},
        names=institution_names(),
        exc=(raw or [{}])[0],
    )
    return page, status


@blueprint.get("/applications/<application_id>")
def application(application_id: str) -> tuple[str, int]:
    """审核: the application with the what-if of its records in front of the registrar."""
    return _application_page(application_id, [])


@blueprint.post("/applications/<application_id>/what-if")
def application_what_if(application_id: str) -> tuple[str, int]:
    """The what-if again, with the registrar's exception (records nothing)."""
    return _application_page(application_id, exception_items())


@blueprint.post("/applications/<application_id>/decide")
def decide(application_id: str) -> Reply:
    """Approve (with the exception, if any: an adjustment) or reject, with a reason."""
    client, code = _registrar()
    s = services()
    approve = request.form.get("action") == "approve"
    raw = exception_items() if approve else []
    reason = text_field("reason", REASON, default="") or None
    with read_connection(s.engine) as connection:
        policy_id = application_views.read_application(connection, application_id).policy_id
    now = utc_now()
    view = applications.decide(
        s.ledger,
        s.sealer,
        application_id,
        evaluations.find_policy(s.policies, policy_id),
        institution=code,
        actor=client.actor,
        by=client.key_id,
        approve=approve,
        exceptions=raw,
        reason=reason,
        on=now.date(),
        now=now,
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    flash(
        tr(
            f"申请现为：{view.state_text('zh')}。",
            f"The application is now {view.state_text('en')}.",
        )
    )
    return redirect(url_for("web_queue.index") + "#applications")


@blueprint.post("/objections/<objection_id>/resolve")
def resolve(objection_id: str) -> Reply:
    """Uphold (back to review) or dismiss an objection, with a reason."""
    client, code = _registrar()
    applications.resolve_objection(
        services().ledger,
        objection_id,
        institution=code,
        actor=client.actor,
        uphold=field("uphold", max_length=1) == "1",
        reason=text_field("reason", REASON),
        now=utc_now(),
    )
    flash(tr("异议已处理。", "Objection resolved."))
    return redirect(url_for("web_queue.index") + "#notices")


@blueprint.post("/applications/<application_id>/commit")
def commit(application_id: str) -> Reply:
    """认定: commit the approved result once the notice period is over."""
    client, code = _registrar()
    s = services()
    with read_connection(s.engine) as connection:
        policy_id = application_views.read_application(connection, application_id).policy_id
    committed = applications.finalise(
        s.ledger,
        application_id,
        evaluations.find_policy(s.policies, policy_id),
        institution=code,
        actor=client.actor,
        by=client.key_id,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    flash(
        tr(
            f"已认定，账本序号 {committed.ledger_index}。",
            f"Recognised at ledger index {committed.ledger_index}.",
        )
    )
    return redirect(url_for("web_queue.index") + "#notices")
