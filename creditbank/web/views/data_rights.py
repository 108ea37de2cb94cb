"""The learner's "Your data" pages: a readable summary, the copy, who looked, corrections."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.rights import corrections, export
from creditbank.text import REASON
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.web.outcomes import institution_names
from creditbank.wiring import services

blueprint = web_blueprint("web_data", "/portal/data")


@blueprint.get("")
def summary() -> str:
    """What the bank holds about the learner, readable; the copy to download; who looked."""
    learner = authorise.require_learner(signed_in())
    s = services()
    data = export.read_data(s.ledger, s.sealer, learner.learner_id, now=utc_now())
    return render_template(
        "web/portal/data.html",
        data=data,
        names=institution_names(),
    )


@blueprint.get("/export.zip")
def download() -> Response:
    """The copy of everything, as the API gives it: the download is a log entry."""
    learner = authorise.require_learner(signed_in())
    s = services()
    made = export.export_data(s.ledger, s.sealer, learner.learner_id, now=utc_now())
    response = Response(export.archive(made), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.archive_name(made)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/corrections")
def ask() -> Reply:
    """Ask the posting institution to correct one of the learner's records."""
    learner = authorise.require_learner(signed_in())
    record_id = field("record", max_length=36)
    view = corrections.request_correction(
        services().ledger,
        learner.learner_id,
        record_id,
        text_field("reason", REASON),
        now=utc_now(),
    )
    flash(
        tr(
            f"更正申请已提交给 {view.institution}，答复后会通知您。",
            f"Your request was sent to {view.institution}; you will be told of the answer.",
        )
    )
    return redirect(url_for("web_portal.record", record_id=record_id) + "#correction")
