"""The learner portal: the account as a timeline, consents, and transcripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from flask import Response, flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput, NotFound
from creditbank.evaluations.review import CHANGE_TEXTS
from creditbank.evaluations.transfers import learner_transfers
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.learners import service as learners
from creditbank.learners.service import ConsentScope
from creditbank.privacy import closure as closing
from creditbank.records import service as records
from creditbank.rights import corrections
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.transcripts import issued as issued_transcripts
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.kept_pdfs import KeptPdfs
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.transcripts.view import view_from_credential
from creditbank.web import transcripts
from creditbank.web.auth import sign_out, signed_in
from creditbank.web.common import Reply, field, integer, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.web.outcomes import institution_names, line_of, totals
from creditbank.wiring import read_engine, services

blueprint = web_blueprint("web_portal", "/portal")


@blueprint.get("")
def index() -> str:
    """The account: who, outcomes by time, totals, recognised transfers, consents."""
    learner = authorise.require_learner(signed_in())
    s = services()
    # Reads that tolerate lag, on a replica that holds the learner's own last change.
    with read_connection(read_engine()) as connection:
        account = learners.read_account(connection, s.sealer, learner.learner_id)
        views = records.learner_records(connection, learner.learner_id)
        transfers = learner_transfers(connection, learner.learner_id)
        consents = learners.list_consents(connection, learner.learner_id)
    lines = sorted((line_of(v) for v in views), key=lambda line: line.on, reverse=True)
    return render_template(
        "web/portal/index.html",
        account=account,
        lines=lines,
        totals=totals(lines),
        transfers=transfers,
        change_texts={kind.value: texts for kind, texts in CHANGE_TEXTS.items()},
        consents=consents,
        now=utc_now(),
        default_until=(utc_now() + timedelta(days=365)).date(),
        names=institution_names(),
        transcripts=_transcripts(learner.learner_id),
        pdf_available=transcripts.pdf() is not None,
    )


@blueprint.get("/records/<record_id>")
def record(record_id: str) -> str:
    """One record with its history (only the learner's own: 403 otherwise)."""
    learner = authorise.require_learner(signed_in())
    with read_connection(services().engine) as connection:
        view = records.read_record(connection, record_id, history=True)
        authorise.require_reader_of(signed_in(), connection, view.learner, now=utc_now())
        asked = [
            r
            for r in corrections.learner_requests(connection, learner.learner_id)
            if r.record == view.id
        ]
    return render_template(
        "web/portal/record.html",
        view=view,
        line=line_of(view),
        names=institution_names(),
        requests=asked,
        open_request=any(r.status is corrections.CorrectionStatus.OPEN for r in asked),
    )


@blueprint.post("/consents")
def grant() -> Reply:
    """Grant an institution consent to read (or also evaluate) the account until a date."""
    learner = authorise.require_learner(signed_in())
    institution = field("institution", max_length=32)
    scope_text = field("scope", max_length=16)
    if scope_text not in {s.value for s in ConsentScope}:
        raise InvalidInput(
            tr("授权范围无效", "unknown consent scope"),
            problems=[FieldProblem("scope", "read or evaluate")],
        )
    until_text = field("valid_until", max_length=10)
    try:
        until = datetime.combine(datetime.fromisoformat(until_text).date(), time.max, UTC)
    except ValueError:
        raise InvalidInput(
            tr("截止日期格式应为 YYYY-MM-DD", "valid_until must be a date YYYY-MM-DD"),
            problems=[FieldProblem("valid_until", "YYYY-MM-DD")],
        ) from None
    now = utc_now()
    learners.grant_consent(
        services().ledger,
        learner.learner_id,
        institution,
        ConsentScope(scope_text),
        min(until, now + learners.MAX_CONSENT - timedelta(days=1)),
        now=now,
    )
    flash(tr(f"已授权 {institution}。", f"Consent granted to {institution}."))
    return redirect(url_for("web_portal.index") + "#consents")


@blueprint.post("/consents/<consent_id>/withdraw")
def withdraw(consent_id: str) -> Reply:
    """Withdraw a consent; the institution loses access at once."""
    learner = authorise.require_learner(signed_in())
    s = services()
    view = learners.withdraw_consent(
        s.ledger,
        learner.learner_id,
        consent_id,
        now=utc_now(),
        after_withdrawal=DependentTranscripts(s.issuer_identity()).of_consent,
    )
    flash(tr(f"已撤回对 {view.institution} 的授权。", f"Consent for {view.institution} withdrawn."))
    return redirect(url_for("web_portal.index") + "#consents")


def _transcripts(learner_id: str) -> list[issued_transcripts.TranscriptSummary]:
    with read_connection(read_engine()) as connection:
        return issued_transcripts.list_transcripts(connection, learner_id)


@blueprint.post("/transcripts")
def request_transcript() -> Reply:
    """Issue a signed transcript of the chosen records, in a language, for 30-180 days."""
    learner = authorise.require_learner(signed_in())
    chosen = request.form.getlist("records")
    language = field("language", max_length=2)
    s = services()
    issued = issue_transcript(
        s.ledger,
        s.sealer,
        s.issuer_identity(),
        learner.learner_id,
        witness_keys=s.settings.witness_keys,
        record_ids=chosen or None,
        language=language,
        validity_days=integer("validity_days", 30, 180),
        now=utc_now(),
    )
    flash(
        tr(
            f"成绩单已签发，在线验证码 {issued.code}。",
            f"Transcript issued; online verification code {issued.code}.",
        )
    )
    return redirect(url_for("web_portal.index") + "#transcripts")


@blueprint.get("/transcripts/<transcript_id>.json")
def transcript_json(transcript_id: str) -> Response:
    """Download one of the learner's transcripts as its signed JSON-LD file."""
    learner = authorise.require_learner(signed_in())
    s = services()
    _, credential = issued_transcripts.read_transcript(
        s.engine, s.sealer, transcript_id, learner.learner_id
    )
    body = json.dumps(credential, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/vc+ld+json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="transcript-{transcript_id}.json"'
    )
    return response


@blueprint.get("/transcripts/<transcript_id>.pdf")
def transcript_pdf(transcript_id: str) -> Response:
    """Download the printable, bilingual PDF (when this build has the renderer)."""
    learner = authorise.require_learner(signed_in())
    renderer = transcripts.pdf()
    if renderer is None:
        raise NotFound(
            tr("本系统尚未提供 PDF 版成绩单", "PDF transcripts are not available here yet")
        )
    s = services()
    _, credential = issued_transcripts.read_transcript(
        s.engine, s.sealer, transcript_id, learner.learner_id
    )
    kept = KeptPdfs(s.settings.pdf_path, s.sealer)
    # The page's renderer draws the default ("zh") layout: the same file the API keeps.
    pdf = kept.render_once(transcript_id, "zh", lambda: renderer(view_from_credential(credential)))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="transcript-{transcript_id}.pdf"'
    )
    return response


@blueprint.post("/transcripts/<transcript_id>/revoke")
def revoke_transcript(transcript_id: str) -> Reply:
    """Revoke a transcript the learner shared: verifiers see it revoked from now on."""
    learner = authorise.require_learner(signed_in())
    s = services()
    issued_transcripts.revoke_transcript(
        s.ledger,
        s.issuer_identity(),
        transcript_id,
        learner.learner_id,
        reason=text_field("reason", REASON, default="revoked by the learner"),
        now=utc_now(),
    )
    flash(tr("成绩单已撤销。", "Transcript revoked."))
    return redirect(url_for("web_portal.index") + "#transcripts")


@blueprint.get("/closure")
def closure_form() -> str:
    """What closing the account means, and the form that confirms it."""
    authorise.require_learner(signed_in())
    grace_days = services().settings.retention.grace.days
    return render_template("web/portal/closure.html", grace_days=grace_days)


@blueprint.post("/closure")
def close_account() -> str:
    """Close the account (the box must be ticked); the learner is signed out at once.

    The answer is the page saying so (the session that would carry a message has ended).
    """
    learner = authorise.require_learner(signed_in())
    if request.form.get("confirm") != "yes":
        raise InvalidInput(
            tr("请勾选确认框", "tick the box to confirm"),
            problems=[FieldProblem("confirm", "required")],
        )
    s = services()
    closure = closing.close_account(
        s.ledger,
        learner.learner_id,
        actor=LEARNER_ACTOR,
        ground=closing.ClosureGround.LEARNER_REQUEST,
        grace=s.settings.retention.grace,
        now=utc_now(),
    )
    sign_out()
    return render_template(
        "web/portal/closed.html", erase_on=closure.erase_after.date().isoformat()
    )
