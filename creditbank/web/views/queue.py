"""The registrar's work queue: transfers under review, applications, objections and appeals."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.evaluations import review
from creditbank.identity.principals import Role
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.wiring import services

blueprint = web_blueprint("web_queue", "/registrar/queue")


@blueprint.get("")
def index() -> str:
    """What waits for a registrar's decision, oldest first."""
    _, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
    with read_connection(services().engine) as connection:
        reviews = review.review_queue(connection, code)
    return render_template("web/queue/index.html", code=code, reviews=reviews)


@blueprint.post("/transfers/<transfer_id>/confirm")
def confirm(transfer_id: str) -> Reply:
    """Confirm a transfer under review with a reason: it stands again (logged)."""
    client, code = authorise.require_institution_member(signed_in(), Role.REGISTRAR)
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
