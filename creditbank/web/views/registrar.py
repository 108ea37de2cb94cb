"""The registrar console: consenting learners, what-if and committed evaluations, cohorts."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.auth.access_log import ReadKind
from creditbank.clock import utc_now
from creditbank.cohorts import service as cohorts
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations import application_views, review
from creditbank.evaluations import service as evaluations
from creditbank.evaluations.listing import ListedPolicy, list_policies
from creditbank.evaluations.sealed_results import read_result
from creditbank.identity.principals import Role
from creditbank.learners import service as learners
from creditbank.learners.service import ConsentScope
from creditbank.records import service as records
from creditbank.rules.evaluate import CAP_NAMES
from creditbank.rules.policy import Policy
from creditbank.storage.database import read_connection
from creditbank.text import REASON, TextRefused
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.web.auth import signed_in
from creditbank.web.cohort_file import people_file
from creditbank.web.common import Reply, field, web_blueprint
from creditbank.web.i18n import current_language, tr
from creditbank.web.outcomes import institution_names, line_of
from creditbank.wiring import read_engine, services

blueprint = web_blueprint("web_registrar", "/registrar")


def _policies(institution: str) -> list[Policy]:
    return sorted(
        (p for p in services().policies.values() if p.programme.institution == institution),
        key=lambda p: p.id,
    )


def _versions(institution: str) -> list[ListedPolicy]:
    """The institution's policies with every version and its period, for the form's hint."""
    s = services()
    return [
        item
        for item in list_policies(s.engine, s.catalogue, utc_now().date())
        if item.current.programme.institution == institution
    ]


def _intake() -> int | None:
    raw = field("intake", required=False, max_length=4)
    if not raw:
        return None
    if not raw.isdigit() or not 1990 <= int(raw) <= 2200:
        raise InvalidInput(
            tr("入学年级应为年份，如 2026", "the intake must be a year such as 2026"),
            problems=[FieldProblem("intake", "a year")],
        )
    return int(raw)


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
        waiting = len(review.review_queue(connection, code))
        waiting += application_views.waiting_count(connection, code)
    return render_template(
        "web/registrar/index.html",
        waiting=waiting,
        code=code,
        accounts=accounts,
        evaluable=evaluable,
        policies=_policies(code),
        versions=_versions(code),
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


EXCEPTION_ROWS = 3
"""Registrars' decisions one evaluation form takes (grants and restrictions alike)."""

_EXCEPTION_FIELDS = {"type": 10, "target": 40, "record": 36, "cap": 60, "credits": 10}


def exception_items() -> list[dict[str, Any]]:
    """The form's exception rows as the API takes them (the service validates them).

    Each row repeats the fields ``exc_type``, ``exc_target``, ``exc_record``, ``exc_cap``,
    ``exc_credits`` and ``exc_why``; a row of type ``none`` is skipped. Only the fields its
    type uses are passed on: force (record, course, credits), waive (course), exclude
    (record), cap (cap, credits) and credits (course, credits).
    """
    columns = {name: request.form.getlist(f"exc_{name}") for name in (*_EXCEPTION_FIELDS, "why")}
    items: list[dict[str, Any]] = []
    for index, kind in enumerate(columns["type"][:EXCEPTION_ROWS]):
        if kind in ("", "none"):
            continue

        def value(name: str, index: int = index) -> str:
            values = columns[name]
            text = values[index].strip() if index < len(values) else ""
            limit = _EXCEPTION_FIELDS.get(name, REASON.max_length * 2)
            if len(text) > limit:
                raise InvalidInput(
                    tr(f"exc_{name} 过长", f"exc_{name} is too long"),
                    problems=[
                        FieldProblem(
                            f"exc_{name}", tr(f"最多 {limit} 个字符", f"at most {limit}"), index
                        )
                    ],
                )
            return text

        item: dict[str, Any] = {"type": value("type"), "why": _reason(value("why"), index)}
        if kind in ("force", "waive", "credits"):
            item["target"] = value("target")
        if kind in ("force", "exclude"):
            item["record"] = value("record")
        if kind == "cap":
            item["cap"] = value("cap")
        if kind in ("force", "cap", "credits") and value("credits"):
            item["credits"] = value("credits")
        items.append(item)
    return items


def _reason(text: str, index: int) -> str:
    try:
        return REASON.clean(text) if text else ""
    except TextRefused as exc:
        raise InvalidInput(
            tr(f"exc_why 不可接受：{exc}", f"exc_why is not acceptable: {exc}"),
            problems=[FieldProblem("exc_why", str(exc), index)],
        ) from None


def _committed(learner_id: str, institution: str) -> list[dict[str, Any]]:
    """The committed evaluations of the learner by ``institution``, newest first."""
    with read_connection(services().engine) as connection:
        rows = evaluations.evaluations_by(connection, learner_id, institution)
        return [
            {
                "id": row.id,
                "policy_id": row.policy_id,
                "on": row.evaluated_on,
                "recognised": read_result(connection, row).get("recognised_credits"),
                "appeal_of": row.appeal_of,
                "ledger_index": row.ledger_index,
            }
            for row in rows
        ]


@blueprint.get("/learners/<learner_id>")
def learner(learner_id: str) -> str:
    """A consenting learner's records and the evaluation form."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    with read_connection(s.engine) as connection:
        authorise.require_reader_of(
            signed_in(), connection, learner_id, now=utc_now(), kind=ReadKind.RECORDS
        )
        account = learners.read_account(connection, s.sealer, learner_id)
        views = records.learner_records(connection, learner_id)
    lines = [line_of(v) for v in views if v.status.value == "active"]
    policies = _policies(code)
    asked = request.args.get("policy", "")
    chosen = next((p for p in policies if p.id == asked), policies[0] if policies else None)
    return render_template(
        "web/registrar/learner.html",
        account=account,
        lines=lines,
        policies=policies,
        versions=_versions(code),
        chosen=chosen,
        today=utc_now().date(),
        result=None,
        form={"policy": chosen.id if chosen else None},
        names=institution_names(),
        cap_names=CAP_NAMES,
        exception_rows=EXCEPTION_ROWS,
        evaluations=_committed(learner_id, code),
    )


@blueprint.post("/learners/<learner_id>/evaluate")
def run(learner_id: str) -> str | tuple[str, int]:
    """Run a what-if (records nothing) or commit an evaluation, with an optional exception."""
    client, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    on = _date("on")
    entered = field("entered_on", required=False, max_length=10)
    intake = _intake()
    chosen = evaluations.choose_policy(
        s.catalogue,
        field("policy", max_length=80),
        on=on,
        entered_on=_date("entered_on") if entered else None,
        intake=intake,
    )
    policy = chosen.policy
    commit = request.form.get("action") == "commit"
    now = utc_now()
    raw = exception_items()
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
        applies_on=chosen.applies_on,
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
        versions=_versions(code),
        today=on,
        policy=policy,
        chosen=policy,
        result=result.body,
        result_hash=result.result_hash,
        committed=committed,
        titles=titles,
        names=institution_names(),
        form={
            "policy": policy.id,
            "on": on.isoformat(),
            "entered_on": entered,
            "intake": "" if intake is None else str(intake),
            "exceptions": raw,
        },
        cap_names=CAP_NAMES,
        exception_rows=EXCEPTION_ROWS,
        evaluations=_committed(learner_id, code),
    )
    return (page, 201) if commit else page


@blueprint.post("/evaluations/<evaluation_id>/appeal")
def appeal(evaluation_id: str) -> tuple[str, int]:
    """Decide an appeal (复核): as of a stated date or the appealed one, with records to reread."""
    client, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    with read_connection(s.engine) as connection:
        row = evaluations.read_evaluation(connection, evaluation_id)
    policy = evaluations.own_version(s.catalogue, row)
    stated = field("appeal_on", required=False, max_length=10)
    reread = [r.strip() for r in request.form.getlist("appeal_records") if r.strip()]
    if any(len(r) > 36 for r in reread):
        raise InvalidInput(
            tr("appeal_records 过长", "appeal_records is too long"),
            problems=[FieldProblem("appeal_records", tr("最多 36 个字符", "at most 36"))],
        )
    committed = evaluations.decide_appeal(
        s.ledger,
        row,
        institution=code,
        actor=client.actor,
        by=client.key_id,
        policy=policy,
        records=reread,
        on=_date("appeal_on") if stated else None,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    flash(
        tr(
            f"复核已决定，账本序号 {committed.ledger_index}（复核评估 {row.id}）。",
            f"Appeal decided at ledger index {committed.ledger_index} (appeal of {row.id}).",
        )
    )
    learner_id = row.learner
    with read_connection(s.engine) as connection:
        account = learners.read_account(connection, s.sealer, learner_id)
        views = records.learner_records(connection, learner_id)
    lines = [line_of(v) for v in views if v.status.value == "active"]
    result = committed.evaluation
    page = render_template(
        "web/registrar/learner.html",
        account=account,
        lines=lines,
        policies=_policies(code),
        today=utc_now().date(),
        policy=policy,
        result=result.body,
        result_hash=result.result_hash,
        committed=committed,
        appeal_of=row.id,
        titles={line.id: line.title for line in lines},
        names=institution_names(),
        versions=_versions(code),
        chosen=policy,
        form={"policy": policy.id},
        cap_names=CAP_NAMES,
        exception_rows=EXCEPTION_ROWS,
        evaluations=_committed(learner_id, code),
    )
    return page, 201


@blueprint.post("/cohorts")
def submit_cohort() -> Reply:
    """Queue a cohort evaluation of every learner who gave evaluate consent."""
    client, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    on = _date("on")
    policy_id = field("policy", max_length=80)
    chosen = evaluations.choose_policy(s.catalogue, policy_id, on=on, intake=_intake())
    job = cohorts.submit(
        s.engine,
        s.policies,
        institution=code,
        submitted_by=client.key_id,
        policy_id=policy_id,
        on=on,
        learners=None,
        applying=chosen.policy,
        applies_on=chosen.applies_on,
    )
    return redirect(url_for("web_registrar.cohort", job_id=job.id))


@blueprint.get("/cohorts/<job_id>")
def cohort(job_id: str) -> str:
    """A cohort's progress (with a link to look again while it runs; it never reloads itself)."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    job = cohorts.job_view(services().engine, job_id, code)
    return render_template("web/registrar/cohort.html", job=job)


@blueprint.get("/cohorts/<job_id>/results.csv")
def cohort_csv(job_id: str) -> Reply:
    """The cohort's results so far, as CSV in the page's language, with learners' names.

    Names only of learners who still let the institution read their account.
    """
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    s = services()
    body = cohorts.results_csv(s.engine, job_id, code)

    def names_of(ids: set[str]) -> dict[str, str | None]:
        # Unsealed only for the file's learners who still let the institution read them.
        with read_connection(s.engine) as connection:
            readable = learners.consenting_learners(
                connection, code, ConsentScope.READ, now=utc_now()
            )
            return {
                i: learners.read_account(connection, s.sealer, i).name for i in ids & set(readable)
            }

    file = people_file(body, names_of, current_language())
    response = Response(file.body, mimetype=file.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="cohort-{job_id}.csv"'
    return response
