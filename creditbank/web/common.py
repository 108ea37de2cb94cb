"""What every page of the web interface shares: its blueprint, errors, forms and headers."""

from __future__ import annotations

import contextlib
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response as _BaseResponse

from creditbank.errors import (
    CreditbankError,
    FieldProblem,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from creditbank.numerals import whole
from creditbank.storage.private_files import make_private_directory, write_new_private
from creditbank.text import TextPolicy, TextRefused
from creditbank.web.auth import load_principal, signed_in
from creditbank.web.i18n import tr

Reply = _BaseResponse  # what views and redirects return
csrf = CSRFProtect()
WEB_BLUEPRINTS: set[str] = set()
_secret_lock = threading.Lock()

# No script runs on these pages, and nothing comes from anywhere but this server.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# An SVG chart is a document of its own; its inline styles are pygal's, never user input.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def web_blueprint(name: str, url_prefix: str | None, **options: Any) -> Blueprint:
    """A blueprint of the web interface: session sign-in, CSRF on forms, HTML errors."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, **options)
    WEB_BLUEPRINTS.add(name)

    @blueprint.before_request
    def _before() -> None:
        _ensure_secret()
        load_principal()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()

    blueprint.register_error_handler(CreditbankError, _error_page)
    blueprint.register_error_handler(CSRFError, _csrf_page)
    blueprint.register_error_handler(404, _missing_page)
    return blueprint


def _ensure_secret() -> None:
    # Every serving process must sign CSRF tokens alike: one secret per instance, on disk.
    app = current_app
    if app.secret_key:
        return
    with _secret_lock:
        folder = Path(app.instance_path) / "keys" / "web"
        path = folder / "secret"
        if not path.exists():
            make_private_directory(folder)
            with contextlib.suppress(FileExistsError):
                write_new_private(path, secrets.token_bytes(32))
        app.secret_key = app.secret_key or path.read_bytes()


def _error_page(error: CreditbankError) -> Reply | tuple[str, int]:
    if isinstance(error, Unauthenticated) and request.method == "GET":
        return redirect(url_for("web_home.sign_in", next=request.full_path.rstrip("?")))
    problems = getattr(error, "problems", ())
    page = render_template("web/error.html", error=error, problems=problems)
    return page, error.status


def _missing_page(_: Exception) -> tuple[str, int]:
    error = NotFound(tr("没有这个页面。", "There is no such page."))
    return render_template("web/error.html", error=error, problems=()), 404


def unknown_route_page() -> Response:
    """The page a browser gets for an address no route serves (with the pages' headers)."""
    page, status = _missing_page(LookupError())
    response = current_app.make_response((page, status))
    _page_headers(response)
    return response


def _csrf_page(error: CSRFError) -> tuple[str, int]:
    page = render_template(
        "web/error.html",
        error=InvalidInput(
            tr(
                "表单已过期或来源不明（CSRF 校验失败），请返回重新提交。",
                "The form expired or did not come from this site (CSRF check failed): go back "
                "and send it again.",
            )
        ),
        problems=(),
    )
    return page, 400


def security_headers(response: Response) -> Response:
    """Headers every web response carries."""
    if request.blueprint not in WEB_BLUEPRINTS and not request.path.startswith("/static/web/"):
        return response
    _page_headers(response)
    return response


def _page_headers(response: Response) -> None:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", SVG_CSP if response.mimetype == "image/svg+xml" else CSP
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if signed_in() is not None:
        headers["Cache-Control"] = "no-store"


def safe_next(target: str | None, default: str) -> str:
    """A same-site path to go back to (never another host)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def field(name: str, *, required: bool = True, max_length: int = 500) -> str:
    """A text field of the posted form, stripped; 400 naming it when missing or too long."""
    value = (request.form.get(name) or "").strip()
    if required and not value:
        raise InvalidInput(
            tr(f"请填写 {name}", f"{name} is required"),
            problems=[FieldProblem(name, tr("必填", "is required"))],
        )
    if len(value) > max_length:
        raise InvalidInput(
            tr(f"{name} 过长", f"{name} is too long"),
            problems=[FieldProblem(name, tr(f"最多 {max_length} 个字符", f"at most {max_length}"))],
        )
    return value


def text_field(name: str, policy: TextPolicy, *, default: str | None = None) -> str:
    """A free-text field under the text policy (NFC, one line, no controls); 400 naming it.

    Without ``default`` the field is required; with one, an empty field takes it.
    """
    value = field(name, required=default is None, max_length=policy.max_length * 2)
    if not value and default is not None:
        return default
    try:
        return policy.clean(value)
    except TextRefused as exc:
        raise InvalidInput(
            tr(f"{name} 不可接受：{exc}", f"{name} is not acceptable: {exc}"),
            problems=[FieldProblem(name, str(exc))],
        ) from None


def integer(name: str, low: int, high: int) -> int:
    """An integer field within ``low..high``; 400 naming it otherwise."""
    value = whole(field(name, max_length=20), low=low, high=high)
    if value is None:
        raise InvalidInput(
            tr(f"{name} 须为 {low}–{high} 的整数", f"{name} must be a whole number {low}-{high}"),
            problems=[FieldProblem(name, f"{low}-{high}")],
        )
    return value


def not_found() -> None:
    """Answer 404 (used where a page must not reveal whether something exists)."""
    abort(404)


def debug_enabled() -> bool:
    """True in development (for notes on pages)."""
    return bool(current_app.debug)
