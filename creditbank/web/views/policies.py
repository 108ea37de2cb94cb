"""Policy versions for the bank's operators and institutions' admins: list, upload, publish.

An upload is checked and dry-run and its impact shown on a page of its own; publishing is a
second, confirming form on that page. The steps are :mod:`creditbank.evaluations.publishing`'s,
the same the API takes.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations import publishing
from creditbank.evaluations.impact import impact_csv
from creditbank.evaluations.listing import list_policies
from creditbank.identity.principals import Role
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, web_blueprint
from creditbank.web.i18n import tr
from creditbank.wiring import services

blueprint = web_blueprint("web_policies", "/admin/policies")
SHOWN_CHANGES = 200  # learners listed on the page; the CSV has them all


def _uploader() -> publishing.Uploader:
    client = authorise.require_client(signed_in(), None, Role.ADMIN)
    return publishing.Uploader(
        client.actor, client.key_id, None if client.is_operator else client.institution
    )


@blueprint.get("")
def index() -> str:
    """Every policy with its versions and their periods, quarantined files, the upload form."""
    _uploader()
    s = services()
    return render_template(
        "web/policies/index.html",
        listed=list_policies(s.engine, s.catalogue, utc_now().date()),
        quarantined=s.catalogue.quarantined(),
    )


def _text(name: str) -> tuple[str, str]:
    sent = request.files.get(name)
    if sent is None or not sent.filename:
        raise InvalidInput(
            tr("请选择文件", "choose a file"), problems=[FieldProblem(name, "a file is needed")]
        )
    raw = sent.read(publishing.MAX_TEXT * 4 + 1)
    try:
        return sent.filename, raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            tr("文件须为 UTF-8 编码", "the file must be UTF-8"),
            problems=[FieldProblem(name, "not UTF-8")],
        ) from None


@blueprint.post("/upload")
def upload() -> Reply:
    """Check an uploaded policy file and its cases; show the result before anything changes."""
    who = _uploader()
    name, text = _text("policy")
    _, cases = _text("cases")
    fmt = "json" if name.lower().endswith(".json") else "toml"
    s = services()
    draft = publishing.upload(
        s.engine,
        s.catalogue,
        who,
        text=text,
        fmt=fmt,
        source=name.replace("\\", "/").rsplit("/", 1)[-1][:200],
        cases_text=cases,
        now=utc_now(),
    )
    return redirect(url_for("web_policies.draft", draft_id=draft.id))


@blueprint.get("/drafts/<draft_id>")
def draft(draft_id: str) -> str:
    """An uploaded version: its checks, the impact figures and list, and the publish form."""
    found = publishing.read_draft(services().engine, draft_id, _uploader())
    return render_template(
        "web/policies/draft.html", draft=found, shown=found.impact.changes[:SHOWN_CHANGES]
    )


@blueprint.get("/drafts/<draft_id>/impact.csv")
def draft_csv(draft_id: str) -> Response:
    """The learners whose results would change, as CSV."""
    found = publishing.read_draft(services().engine, draft_id, _uploader())
    response = Response(impact_csv(found.impact), mimetype="text/csv")
    name = publishing.impact_filename(found)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blueprint.post("/drafts/<draft_id>/publish")
def publish(draft_id: str) -> Reply:
    """Publish the draft (a ledger entry with its hash); every serving process picks it up."""
    s = services()
    done = publishing.publish_draft(s.ledger, s.catalogue, draft_id, _uploader(), now=utc_now())
    what, index = f"{done.policy.id} {done.policy.version}", done.published_index
    flash(tr(f"已发布 {what}，账本序号 {index}。", f"Published {what} at ledger index {index}."))
    return redirect(url_for("web_policies.draft", draft_id=draft_id))
