"""The registrar console: consenting learners, what-if and committed evaluations, cohorts."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.cohorts import service as cohorts
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations import service as evaluations
from creditbank.identity.principals import Role
from creditbank.learners import service as learners
from creditbank.learners.service import ConsentScope
from creditbank.records import service as records
from creditbank.rules.policy import Policy
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, text_field, web_blueprint
from creditbank.web.i18n import current_language, tr
from creditbank.web.outcomes import institution_names, line_of
from creditbank.wiring import read_engine, services

blueprint = web_blueprint("web_registrar", "/registrar")


def _policies(institution: str) -> list[Policy]:
    return sorted(
        (p for p in services().policies.values() if p.programme.institution == institution),
        key=lambda p: p.id,
    )


@blueprint.get("")
def index() -> str:
    """Learners who consented to this institution, and the cohort form and jobs."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    now = utc_now()
    reads = read_engine()  # a replica in use holding this registrar's own last change
    with read_connection(reads) as connection:
        readable = learners.consenting_learners(connection, code, ConsentScope.READ, now=now)
        evaluable = set(
            learners.consenting_learners(connection, code, ConsentScope.EVALUATE, now=now)
        )
        accounts = [learners.read_account(connection, s.sealer, i) for i in readable]
    return render_template(
        "web/registrar/index.html",
        code=code,
        accounts=accounts,
        evaluable=evaluable,
        policies=_policies(code),
        jobs=cohorts.list_jobs(reads, code),
        today=now.date(),
    )


def _date(name: str) -> date:
    raw = field(name, required=False, max_length=10)
    if not raw:
        return utc_now().date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            tr(f"{name} 应为 YYYY-MM-DD", f"{name} must be a date YYYY-MM-DD"),
            problems=[FieldProblem(name, "YYYY-MM-DD")],
        ) from None


def _exception_items() -> list[dict[str, Any]]:
    kind = request.form.get("exc_type") or ""
    if kind in ("", "none"):
        return []
    item: dict[str, Any] = {
        "type": kind,
        "target": field("exc_target", max_length=64),
        "why": text_field("exc_why", REASON),
    }
    if kind == "force":
        item["record"] = field("exc_record", max_length=36)
        credits = field("exc_credits", required=False, max_length=10)
        if credits:
            item["credits"] = credits
    return [item]


@blueprint.get("/learners/<learner_id>")
def learner(learner_id: str) -> str:
    """A consenting learner's records and the evaluation form."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    with read_connection(s.engine) as connection:
        authorise.require_reader_of(signed_in(), connection, learner_id, now=utc_now())
        account = learners.read_account(connection, s.sealer, learner_id)
        views = records.learner_records(connection, learner_id)
    lines = [line_of(v) for v in views if v.status.value == "active"]
    return render_template(
        "web/registrar/learner.html",
        account=account,
        lines=lines,
        policies=_policies(code),
        today=utc_now().date(),
        result=None,
        form={},
        names=institution_names(),
    )


@blueprint.post("/learners/<learner_id>/evaluate")
def run(learner_id: str) -> str | tuple[str, int]:
    """Run a what-if (records nothing) or commit an evaluation, with an optional exception."""
    client, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    policy = evaluations.find_policy(s.policies, field("policy", max_length=80))
    on = _date("on")
    commit = request.form.get("action") == "commit"
    now = utc_now()
    raw = _exception_items()
    done = evaluations.run_evaluation(
        s.ledger,
        learner_id=learner_id,
        institution=code,
        actor=client.actor,
        by=client.key_id,
        policy=policy,
        on=on,
        exceptions=raw,
        commit_it=commit,
        now=now,
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    result, committed = done.evaluation, done.committed
    if committed is not None:
        count = len(committed.transfers)
        flash(
            tr(
                f"评估已提交，账本序号 {committed.ledger_index}；认定 {count} 门课程的转换学分。",
                f"Evaluation committed at ledger index {committed.ledger_index}; "
                f"{count} courses recognised as transfers.",
            )
        )
    with read_connection(s.engine) as connection:
        account = learners.read_account(connection, s.sealer, learner_id)
        views = records.learner_records(connection, learner_id)
    lines = [line_of(v) for v in views if v.status.value == "active"]
    titles = {line.id: line.title for line in lines}
    page = render_template(
        "web/registrar/learner.html",
        account=account,
        lines=lines,
        policies=_policies(code),
        today=on,
        policy=policy,
        result=result.body,
        result_hash=result.result_hash,
        committed=committed,
        titles=titles,
        names=institution_names(),
        text_key=current_language(),
        form={"policy": policy.id, "on": on.isoformat(), "exceptions": raw},
    )
    return (page, 201) if commit else page


@blueprint.post("/cohorts")
def submit_cohort() -> Reply:
    """Queue a cohort evaluation of every learner who gave evaluate consent."""
    client, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    job = cohorts.submit(
        s.engine,
        s.policies,
        institution=code,
        submitted_by=client.key_id,
        policy_id=field("policy", max_length=80),
        on=_date("on"),
        learners=None,
    )
    return redirect(url_for("web_registrar.cohort", job_id=job.id))


@blueprint.get("/cohorts/<job_id>")
def cohort(job_id: str) -> str:
    """A cohort's progress (the page refreshes itself while it runs)."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    job = cohorts.job_view(services().engine, job_id, code)
    return render_template("web/registrar/cohort.html", job=job)


@blueprint.get("/cohorts/<job_id>/results.csv")
def cohort_csv(job_id: str) -> Reply:
    """The cohort's results so far, as CSV."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    body = cohorts.results_csv(services().engine, job_id, code)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="cohort-{job_id}.csv"'
    return response
