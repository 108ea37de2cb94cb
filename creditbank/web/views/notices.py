"""Notices in the web pages: a learner's (and the address they go to) and an institution's."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from markupsafe import Markup

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.identity.principals import Role
from creditbank.learners.contact import read_email, set_email
from creditbank.notices.kinds import words
from creditbank.notices.service import (
    NoticeView,
    Recipient,
    list_notices,
    mark_read,
    unread_count,
)
from creditbank.storage.database import read_connection, write_transaction
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, field, web_blueprint
from creditbank.web.i18n import current_language, tr, written
from creditbank.wiring import services

blueprint = web_blueprint("web_notices", None)
ANY_ROLE = tuple(Role)


def body(notice: NoticeView) -> Markup:
    """A notice's text for the page: its params escaped, and marked when in another language."""
    lang = current_language()
    # The fixed texts hold no markup; every param went through ``written``, which escapes.
    return Markup(words(notice.kind, notice.params, lang, each=written)[1])  # noqa: S704


def _page(recipient: Recipient, to: str, *, email: str | None, read_to: str) -> str:
    with read_connection(services().engine) as connection:
        notices = list_notices(connection, recipient, to)
        unread = unread_count(connection, recipient, to)
    return render_template(
        "web/notices.html",
        notices=notices,
        unread=unread,
        email=email,
        is_learner_page=recipient is Recipient.LEARNER,
        read_to=read_to,
        body=body,
    )


def _mark(recipient: Recipient, to: str) -> None:
    chosen = request.form.get("notice") or None
    with write_transaction(services().engine) as connection:
        mark_read(connection, recipient, to, now=utc_now(), notice_id=chosen)
    flash(tr("已标为已读。", "Marked as read."))


@blueprint.get("/portal/notices")
def learner_notices() -> str:
    """A learner's notices, newest first, and the address they are e-mailed to."""
    learner = authorise.require_learner(signed_in())
    s = services()
    with read_connection(s.engine) as connection:
        email = read_email(connection, s.sealer, learner.learner_id)
    return _page(
        Recipient.LEARNER,
        learner.learner_id,
        email=email,
        read_to=url_for("web_notices.learner_read"),
    )


@blueprint.post("/portal/notices/read")
def learner_read() -> Reply:
    """Mark one notice (or all) read."""
    learner = authorise.require_learner(signed_in())
    _mark(Recipient.LEARNER, learner.learner_id)
    return redirect(url_for("web_notices.learner_notices"))


@blueprint.post("/portal/email")
def learner_email() -> Reply:
    """Give, change or remove the address notices are e-mailed to (sealed when stored)."""
    learner = authorise.require_learner(signed_in())
    s = services()
    remove = request.form.get("remove") == "1"
    address = None if remove else field("email", max_length=254)
    with write_transaction(s.engine) as connection:
        set_email(connection, s.sealer, learner.learner_id, address)
    flash(
        tr("已删除邮箱，通知只在此页显示。", "Address removed: notices appear on this page only.")
        if remove
        else tr("已保存邮箱，今后的通知也会发到该邮箱。", "Saved: future notices are e-mailed too.")
    )
    return redirect(url_for("web_notices.learner_notices"))


@blueprint.get("/institution/notices")
def institution_notices() -> str:
    """An institution's notices (keys issued for it), for any of its staff."""
    _, code = authorise.require_institution_member(signed_in(), *ANY_ROLE)
    return _page(
        Recipient.INSTITUTION, code, email=None, read_to=url_for("web_notices.institution_read")
    )


@blueprint.post("/institution/notices/read")
def institution_read() -> Reply:
    """Mark one of the institution's notices (or all) read."""
    _, code = authorise.require_institution_member(signed_in(), *ANY_ROLE)
    _mark(Recipient.INSTITUTION, code)
    return redirect(url_for("web_notices.institution_notices"))
