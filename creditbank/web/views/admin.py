"""Administration for the bank's operators: institutions, API keys, policies, keys, jobs."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations import service as evaluations
from creditbank.evaluations.listing import list_policies
from creditbank.identity.principals import Role
from creditbank.institutions import clients as api_keys
from creditbank.institutions import service as institutions
from creditbank.operations import runs
from creditbank.operations.overview import find_job, jobs_overview
from creditbank.records.vocabulary import InstitutionKind, Level, Region
from creditbank.storage.database import read_connection
from creditbank.text import LABEL
from creditbank.transcripts.issuer import did_document
from creditbank.transcripts.keys import rotate_issuer_key
from creditbank.transcripts.status_lists import refresh_status_lists
from creditbank.web import jobs as job_text
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.wiring import services

blueprint = web_blueprint("web_admin", "/admin")
BANK = "__bank__"  # the form's value for the bank's own (operator) keys
RECENT_RUNS = 100  # runs shown on a job's page (the retention setting bounds the rest)


def _page(issued: str | None = None, issued_status: str | None = None) -> str:
    s = services()
    with read_connection(s.engine) as connection:
        members = institutions.list_institutions(connection)
        clients = api_keys.list_clients(connection, None)
        for member in members:
            clients += api_keys.list_clients(connection, member.info.code)
        overview = jobs_overview(connection, s.jobs(), utc_now())
    return render_template(
        "web/admin.html",
        members=members,
        clients=clients,
        listed=list_policies(s.engine, s.catalogue, utc_now().date()),
        quarantined=s.catalogue.quarantined(),
        log_keys=s.ledger.keyring.keys(),
        issuer_keys=did_document(s.issuer_identity(), s.ledger.keyring.verifiers())[
            "verificationMethod"
        ],
        issued=issued,
        issued_status=issued_status,
        kinds=list(InstitutionKind),
        levels=list(Level),
        regions=list(Region),
        roles=list(Role),
        bank=BANK,
        overview=overview,
        jt=job_text,
    )


@blueprint.get("")
def index() -> str:
    """Everything an operator administers, on one page."""
    authorise.require_operator(signed_in())
    return _page()


@blueprint.post("/institutions")
def register() -> Reply:
    """Register a member institution (a log entry naming the operator)."""
    principal = authorise.require_operator(signed_in())
    info = institutions.institution_info(
        {
            name: field(name, max_length=200)
            for name in ("code", "name_zh", "name_en", "kind", "level", "region")
        }
    )
    registered = institutions.register_institution(
        services().ledger, info, actor=principal.actor, now=utc_now()
    )
    flash(
        tr(
            f"已登记机构 {info.code}，账本序号 {registered.ledger_index}。",
            f"Registered {info.code} at ledger index {registered.ledger_index}.",
        )
    )
    return redirect(url_for("web_admin.index"))


@blueprint.post("/clients")
def issue() -> str:
    """Issue an API key, on the record; its secret is shown on this page once and never again.

    An institution's key issued here is pending until the institution's admin accepts it, or
    its bootstrap key when it has no admin key of its own.
    """
    principal = authorise.require_operator(signed_in())
    owner = field("institution", max_length=32)
    role_text = field("role", max_length=16)
    if role_text not in {r.value for r in Role}:
        raise InvalidInput("role", problems=[FieldProblem("role", "poster, registrar or admin")])
    institution = None if owner == BANK else owner
    if institution is None and role_text != Role.ADMIN.value:
        raise InvalidInput(
            tr("银行自身的密钥只能是管理员角色", "the bank's own keys have the admin role"),
            problems=[FieldProblem("role", "admin for the bank")],
        )
    issued, secret = api_keys.issue_client(
        services().ledger,
        institution,
        Role(role_text),
        text_field("label", LABEL),
        by=api_keys.Acting.of(principal),
        now=utc_now(),
    )
    return _page(issued=secret.text, issued_status=issued.status.value)


@blueprint.post("/clients/<key_id>/revoke")
def revoke(key_id: str) -> Reply:
    """Revoke an API key, on the record: it stops working at once, web sessions included."""
    principal = authorise.require_operator(signed_in())
    owner = field("institution", max_length=32)
    api_keys.revoke_client(
        services().ledger,
        None if owner == BANK else owner,
        key_id,
        by=api_keys.Acting.of(principal),
        now=utc_now(),
    )
    flash(tr(f"已吊销密钥 {key_id}。", f"API key {key_id} revoked."))
    return redirect(url_for("web_admin.index") + "#clients")


@blueprint.post("/policies/<policy_id>/publish")
def publish(policy_id: str) -> Reply:
    """Publish a version of a policy from the policies folder (a log entry holds its hash)."""
    principal = authorise.require_operator(signed_in())
    s = services()
    asked = field("version", required=False, max_length=40)
    if not asked:
        asked = evaluations.find_policy(s.policies, policy_id).version
    version = s.catalogue.version(policy_id, asked)
    index = evaluations.publish_policy(
        s.ledger,
        version.policy,
        actor=principal.actor,
        now=utc_now(),
        text=version.text,
        fmt=version.format,
        source=version.source,
        by=principal.key_id,
    )
    s.catalogue.refresh(force=True)
    flash(
        tr(
            f"已发布 {policy_id} 版本 {asked}，账本序号 {index}。",
            f"Published {policy_id} version {asked} at ledger index {index}.",
        )
    )
    return redirect(url_for("web_admin.index") + "#policies")


@blueprint.post("/log-keys/rotate")
def rotate() -> Reply:
    """Add a new log signing key (a log entry naming the operator); it signs from now on."""
    principal = authorise.require_operator(signed_in())
    signer = services().ledger.rotate_key(actor=principal.actor)
    flash(
        tr(
            f"新的账本签名密钥：{signer.verifier.verifier_key()}",
            f"New log signing key: {signer.verifier.verifier_key()}",
        )
    )
    return redirect(url_for("web_admin.index") + "#log-keys")


@blueprint.post("/issuer-keys/rotate")
def rotate_issuer() -> Reply:
    """Add a new transcript signing key (a log entry naming the operator).

    Older transcripts keep verifying with the old one.
    """
    principal = authorise.require_operator(signed_in())
    s = services()
    rotate_issuer_key(s.issuer_keys, s.ledger, actor=principal.actor, now=utc_now())
    refreshed = refresh_status_lists(s.engine, s.issuer_identity(), now=utc_now())
    method = s.issuer_identity().current().method_id
    flash(
        tr(
            f"新的成绩单签发密钥 {method}；重新签名 {refreshed} 个状态列表。",
            f"New transcript signing key {method}; {refreshed} status lists re-signed.",
        )
    )
    return redirect(url_for("web_admin.index") + "#transcript-keys")


@blueprint.get("/jobs/<name>")
def job_runs(name: str) -> str:
    """One scheduled job's recent runs, newest first, optionally of one status."""
    authorise.require_operator(signed_in())
    s = services()
    spec = find_job(s.jobs(), name)
    if spec is None:
        abort(404)
    status = request.args.get("status") or None
    if status is not None and status not in job_text.STATUSES:
        raise InvalidInput(
            tr("没有这种运行状态", "no such run status"),
            problems=[FieldProblem("status", ", ".join(job_text.STATUSES))],
        )
    with read_connection(s.engine) as connection:
        found = runs.list_runs(connection, job=name, status=status, limit=RECENT_RUNS)
    return render_template(
        "web/admin_job.html",
        spec=spec,
        runs=found,
        status=status,
        statuses=job_text.STATUSES,
        limit=RECENT_RUNS,
        retention_days=s.settings.operations.job_run_retention_days,
        jt=job_text,
    )
