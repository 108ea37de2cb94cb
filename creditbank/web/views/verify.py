"""Public verification of a transcript: paste or upload the file, or type the online code."""

from __future__ import annotations

from flask import render_template

from creditbank.web import transcripts
from creditbank.web.common import web_blueprint

blueprint = web_blueprint("web_verify", "/verify")


@blueprint.get("")
def form() -> str:
    """The verification form (no sign-in needed)."""
    return render_template("web/verify.html", available=transcripts.available(), verdict=None)


@blueprint.post("")
def check() -> tuple[str, int]:
    """Verify what was sent and show each check with its reason."""
    if not transcripts.available():
        return render_template("web/verify.html", available=False, verdict=None), 503
    return render_template("web/verify.html", available=True, verdict=None), 501
