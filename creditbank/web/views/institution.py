"""The institution workspace: CSV/XLSX upload checked row by row, batches, corrections."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone

from flask import flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, Forbidden, InvalidInput, InvalidJson
from creditbank.identity.principals import Role
from creditbank.imports.records_csv import ImportPlan, plan_import, post_plan
from creditbank.imports.tabular import Table, read_table
from creditbank.records import delegations
from creditbank.records import service as records
from creditbank.records.outcomes import Outcome
from creditbank.records.parsing import parse_outcome
from creditbank.records.vocabulary import OutcomeKind
from creditbank.rights import corrections
from creditbank.storage.database import read_connection
from creditbank.strict_json import read_json
from creditbank.text import REASON
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.web.outcomes import line_of
from creditbank.web.uploads import remember_upload, remembered_upload, upload_helpers
from creditbank.wiring import read_engine, services

blueprint = web_blueprint("web_institution", "/institution")

CHINA = timezone(timedelta(hours=8), "CST")
MAX_UPLOAD = 2 * 1024 * 1024


@blueprint.get("")
def index() -> str:
    """Upload form, recent batches with their ledger indices, recent records."""
    client, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    # A replica in use that holds this poster's own last upload, else the primary.
    with read_connection(read_engine()) as connection:
        batches = records.list_batches(connection, code)
        recent = records.recent_records(connection, code)
        granted = delegations.list_delegations(connection, code)
        asked = corrections.institution_requests(
            connection, code, status=corrections.CorrectionStatus.OPEN
        )
    return render_template(
        "web/institution/index.html",
        code=code,
        requests=asked,
        batches=batches,
        lines=[line_of(v) for v in recent],
        **upload_helpers(),
        delegations=granted,
        is_admin=client.role is Role.ADMIN,
        kinds=list(OutcomeKind),
        now=utc_now(),
    )


@blueprint.post("/delegations")
def delegate() -> Reply:
    """Let another member post outcomes of the chosen kinds from this institution (admins)."""
    client, code = authorise.require_institution_member(signed_in(), Role.ADMIN)
    chosen = request.form.getlist("kinds")
    if not chosen or any(kind not in {k.value for k in OutcomeKind} for kind in chosen):
        raise InvalidInput(
            tr("请选择成果类别", "choose the outcome kinds"),
            problems=[FieldProblem("kinds", tr("至少选一项", "at least one"))],
        )
    now = utc_now()
    until = field("effective_until", required=False, max_length=10)
    terms = delegations.DelegationTerms(
        delegate=field("delegate", max_length=32).upper(),
        kinds=tuple(OutcomeKind(kind) for kind in chosen),
        effective_from=now,
        effective_until=_day_start(until) if until else None,
        reason=text_field("reason", REASON),
    )
    view = delegations.grant_delegation(services().ledger, code, terms, by=client, now=now)
    flash(
        tr(
            f"已委托 {view.delegate} 代为登记，账本序号 {view.granted_index}。",
            f"Delegated to {view.delegate} at index {view.granted_index}.",
        )
    )
    return redirect(url_for("web_institution.index"))


@blueprint.post("/delegations/<delegation_id>/end")
def end_delegation(delegation_id: str) -> Reply:
    """End a delegation this institution granted (admins)."""
    client, code = authorise.require_institution_member(signed_in(), Role.ADMIN)
    view = delegations.end_delegation(
        services().ledger,
        code,
        delegation_id,
        by=client,
        reason=text_field("reason", REASON),
        now=utc_now(),
    )
    flash(tr(f"委托已结束，账本序号 {view.ended_index}。", f"Ended at index {view.ended_index}."))
    return redirect(url_for("web_institution.index"))


def _day_start(text: str) -> datetime:
    """Midnight, China Standard Time, of a ``YYYY-MM-DD`` day; 400 naming the field otherwise."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=CHINA)
    except ValueError:
        raise InvalidInput(
            tr("日期格式为 YYYY-MM-DD", "dates are written YYYY-MM-DD"),
            problems=[FieldProblem("effective_until", "YYYY-MM-DD")],
        ) from None


def _plan(table: Table, code: str) -> ImportPlan:
    s = services()
    return plan_import(s.engine, s.sealer, table, code, today=utc_now().date())


@blueprint.post("/upload")
def upload() -> str:
    """Check every row of an uploaded CSV or XLSX file; nothing is posted yet."""
    _, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise InvalidInput(
            tr("请选择 CSV 或 XLSX 文件", "choose a CSV or XLSX file"),
            problems=[FieldProblem("file", "missing")],
        )
    raw = sent.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise InvalidInput(
            tr("文件超过 2 MB，请用命令行导入", "the file is over 2 MB: use the command line"),
            problems=[FieldProblem("file", "at most 2 MB")],
        )
    table = read_table(raw, sent.filename)
    plan = _plan(table, code)
    remember_upload(services().sealer, code, sent.filename, raw)
    return render_template(
        "web/institution/preview.html",
        plan=plan,
        name=sent.filename,
        code=code,
        table=table,
        **upload_helpers(),
    )


@blueprint.post("/upload/post")
def post_upload() -> Reply:
    """Post the good rows of the checked file (checked again: the file may be stale)."""
    _, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    plan = _plan(remembered_upload(services().sealer, code, forget=True), code)
    s = services()
    report = post_plan(s.ledger, s.sealer, plan, now=utc_now(), actor_key="web")
    flash(
        tr(
            f"{report.rows} 行：登记 {report.posted} 条，此前已登记 {report.skipped} 条，"
            f"有误 {len({p.line for p in report.problems})} 行未登记。",
            f"{report.rows} rows: {report.posted} posted, {report.skipped} posted before, "
            f"{len({p.line for p in report.problems})} bad rows not posted.",
        )
    )
    return redirect(url_for("web_institution.index"))


def _own(record_id: str, code: str) -> records.RecordView:
    with read_connection(services().engine) as connection:
        view = records.read_record(connection, record_id, history=True)
    if view.institution != code:
        raise Forbidden(tr("只能更正或撤销本机构登记的记录", "only the posting institution may"))
    return view


@blueprint.get("/records/<record_id>")
def record(record_id: str) -> str:
    """A record this institution posted, with correction and revocation forms."""
    _, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    view = _own(record_id, code)
    content = json.dumps(dict(view.current.content), ensure_ascii=False, indent=2)
    with read_connection(services().engine) as connection:
        asked = [
            r
            for r in corrections.institution_requests(
                connection, code, status=corrections.CorrectionStatus.OPEN
            )
            if r.record == record_id
        ]
    return render_template(
        "web/institution/record.html",
        view=view,
        line=line_of(view),
        content=content,
        requests=asked,
    )


def _posted_outcome() -> Outcome:
    """The ``outcome`` field: a corrected outcome as JSON, with the API's fields."""
    try:
        item = read_json(field("outcome", max_length=20_000))
    except InvalidJson as exc:
        raise InvalidInput(
            tr(f"内容不是有效的 JSON：{exc.detail}", f"the outcome is refused: {exc.detail}"),
            problems=[FieldProblem("outcome", exc.detail)],
        ) from None
    if not isinstance(item, dict):
        raise InvalidInput("outcome", problems=[FieldProblem("outcome", "a JSON object")])
    return parse_outcome(item, today=utc_now().date())


@blueprint.post("/records/<record_id>/correct")
def correct(record_id: str) -> Reply:
    """Correct a record: the new content and the reason become a new ledger entry."""
    _, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    _own(record_id, code)
    reason = text_field("reason", REASON)
    outcome = _posted_outcome()
    s = services()
    view = records.correct_record(
        s.ledger,
        record_id,
        outcome,
        institution=code,
        reason=reason,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_record,
    )
    flash(
        tr(
            f"已更正，账本序号 {view.current.ledger_index}。",
            f"Corrected at index {view.current.ledger_index}.",
        )
    )
    return redirect(url_for("web_institution.record", record_id=record_id))


@blueprint.post("/records/<record_id>/revoke")
def revoke(record_id: str) -> Reply:
    """Revoke a record; it stays in the log and the history, marked revoked."""
    _, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    _own(record_id, code)
    s = services()
    view = records.revoke_record(
        s.ledger,
        record_id,
        institution=code,
        reason=text_field("reason", REASON),
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_record,
    )
    flash(
        tr(
            f"已撤销，账本序号 {view.current.ledger_index}。",
            f"Revoked at index {view.current.ledger_index}.",
        )
    )
    return redirect(url_for("web_institution.record", record_id=record_id))


_DECISIONS = {d.value: d for d in corrections.ANSWERS}


@blueprint.post("/correction-requests/<request_id>/answer")
def answer_request(request_id: str) -> Reply:
    """Answer a learner's correction request: correct, revoke or decline, with a reason."""
    client, code = authorise.require_institution_member(signed_in(), Role.POSTER)
    decision = _DECISIONS.get(field("decision", max_length=16))
    if decision is None:
        raise InvalidInput(
            tr("请选择答复方式", "choose how to answer"),
            problems=[FieldProblem("decision", "corrected, revoked or declined")],
        )
    reason = text_field("reason", REASON)
    outcome = _posted_outcome() if decision is corrections.CorrectionStatus.CORRECTED else None
    s = services()
    view = corrections.answer_correction(
        s.ledger,
        request_id,
        corrections.Answer(decision, reason, outcome),
        institution=code,
        actor=client.actor,
        by=client.key_id,
        now=utc_now(),
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_record,
    )
    flash(
        tr(
            f"已答复更正申请，账本序号 {view.answered_index}；学习者会收到通知。",
            f"Request answered at index {view.answered_index}; the learner is told.",
        )
    )
    return redirect(url_for("web_institution.record", record_id=view.record))
