"""Public verification of a transcript: paste or upload the file, or type the online code.

A code lands on ``/verify/<code>`` (a redirect after the form), so every result looked up by
code has an address to share; a file or pasted text is verified where it is sent.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.transcripts.issued import TranscriptErased
from creditbank.web import transcripts
from creditbank.web.common import Reply, web_blueprint
from creditbank.web.i18n import tr

blueprint = web_blueprint("web_verify", "/verify")
MAX_FILE = 4 * 1024 * 1024
MAX_CODE = 40


def _render(verification: transcripts.Verification | None, code: str = "") -> str:
    return render_template(
        "web/verify.html",
        verification=verification,
        code=code,
        check_label=transcripts.check_label,
        reason=transcripts.check_reason,
    )


def _code(raw: str) -> str:
    """A typed code as it appears in the address (upper case, no spaces or dashes)."""
    code = raw.strip().upper().replace("-", "").replace(" ", "")
    if len(code) > MAX_CODE or not code.isascii() or not code.isalnum():
        raise InvalidInput(
            tr("验证码格式不对", "that is not a verification code"),
            problems=[
                FieldProblem("code", tr("字母和数字，最多 40 个", "letters and digits, at most 40"))
            ],
        )
    return code


@blueprint.get("")
def form() -> Reply | str:
    """The verification form (no sign-in needed); ``?code=`` goes to that code's page."""
    typed = request.args.get("code", "")
    if typed.strip():
        return redirect(url_for("web_verify.by_code", code=_code(typed)), code=303)
    return _render(None)


@blueprint.get("/<code>")
def by_code(code: str) -> str:
    """Where a transcript's QR code leads: verify the transcript with that online code."""
    try:
        _, credential = transcripts.by_code(_code(code))
    except TranscriptErased as gone:
        return _render(transcripts.Verification(gone.report(), None, None, by_code=True), code)
    return _render(transcripts.verify(credential, by_code=True), code)


def _sent(credential: Any) -> str:
    return _render(transcripts.verify(credential))


@blueprint.post("")
def check() -> Reply | str:
    """Verify a file or pasted JSON here; a code is looked up at its own address."""
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
        return _sent(transcripts.parse(raw))
    if pasted:
        return _sent(transcripts.parse(pasted))
    if code:
        return redirect(url_for("web_verify.by_code", code=_code(code)), code=303)
    raise InvalidInput(
        tr("请上传文件、粘贴内容或输入验证码", "upload a file, paste it, or type the code"),
        problems=[FieldProblem("transcript", "nothing was sent")],
    )
