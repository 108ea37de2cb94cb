"""Public verification of a transcript: paste or upload the file, or type the online code."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.web import transcripts
from creditbank.web.common import web_blueprint
from creditbank.web.i18n import tr

blueprint = web_blueprint("web_verify", "/verify")
MAX_FILE = 4 * 1024 * 1024


@blueprint.get("")
def form() -> str:
    """The verification form (no sign-in needed)."""
    return render_template("web/verify.html", verdict=None, code="", label=transcripts.check_label)


def _page(credential: Any, code: str = "") -> str:
    verdict = transcripts.verify(credential)
    return render_template(
        "web/verify.html", verdict=verdict, code=code, label=transcripts.check_label
    )


@blueprint.get("/<code>")
def by_code(code: str) -> str:
    """Where a transcript's QR code leads: verify the transcript with that online code."""
    _, credential = transcripts.by_code(code)
    return _page(credential, code)


@blueprint.post("")
def check() -> str:
    """Verify what was sent (a file, pasted JSON or a code) and show every check."""
    code = (request.form.get("code") or "").strip()
    sent = request.files.get("file")
    pasted = (request.form.get("transcript") or "").strip()
    if sent is not None and sent.filename:
        raw = sent.read(MAX_FILE + 1)
        if len(raw) > MAX_FILE:
            raise InvalidInput(
                tr("文件超过 4 MB", "the file is over 4 MB"),
                problems=[FieldProblem("file", "at most 4 MB")],
            )
        return _page(transcripts.parse(raw))
    if pasted:
        return _page(transcripts.parse(pasted))
    if code:
        if len(code) > 40:
            raise InvalidInput("code", problems=[FieldProblem("code", "at most 40 characters")])
        _, credential = transcripts.by_code(code)
        return _page(credential, code)
    raise InvalidInput(
        tr("请上传文件、粘贴内容或输入验证码", "upload a file, paste it, or type the code"),
        problems=[FieldProblem("transcript", "nothing was sent")],
    )
