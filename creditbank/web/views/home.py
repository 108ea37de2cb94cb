"""The front page, signing in and out, and the language switch."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from creditbank.clock import utc_now
from creditbank.errors import ClaimSetAside, InvalidInput, Unauthenticated
from creditbank.identity.documents import DocumentKind, parse_document
from creditbank.identity.principals import ClientPrincipal, Role
from creditbank.web import auth
from creditbank.web.common import Reply, field, safe_next, web_blueprint
from creditbank.web.i18n import COOKIE, LANGUAGES, tr

blueprint = web_blueprint(
    "web_home",
    None,
    static_folder="static",
    static_url_path="/static/web",
    template_folder="templates",
)


@blueprint.get("/")
def index() -> str:
    """Where each kind of user starts."""
    return render_template("web/index.html")


def _home_of(principal: ClientPrincipal) -> str:
    if principal.is_operator:
        return url_for("web_admin.index")
    if principal.bootstrap:
        return url_for("web_institution_keys.index")
    if principal.role is Role.REGISTRAR:
        return url_for("web_registrar.index")
    return url_for("web_institution.index")


@blueprint.route("/signin", methods=["GET", "POST"])
def sign_in() -> str | Reply | tuple[str, int]:
    """Learners sign in with document and password; staff paste an API key once."""
    target = request.values.get("next")
    if request.method == "GET":
        return render_template(
            "web/signin.html", next=target, error=None, form="", kinds=DOCUMENT_KINDS
        )
    which = request.form.get("form")
    try:
        if which == "learner":
            document = parse_document(
                field("document_kind", max_length=32),
                field("document_number", max_length=64),
                country=field("country", required=False, max_length=3) or None,
                today=utc_now().date(),
            )
            auth.sign_in_learner(document, field("password", max_length=200))
            return redirect(safe_next(target, url_for("web_portal.index")))
        principal = auth.sign_in_staff(field("api_key", max_length=200))
        return redirect(safe_next(target, _home_of(principal)))
    except (Unauthenticated, InvalidInput) as error:
        message = (
            tr(
                "您自行注册的账户已被搁置：有院校为该证件开立了经核验的账户，您的记录在那个账户中。"
                "请向为您开户的院校索取激活码，激活后用新设置的密码登录。",
                "The account you registered yourself for this document was set aside: an "
                "institution opened a verified account for it, which holds your records. Ask "
                "the institution that enrolled you for its activation code, activate it and "
                "sign in with the password you choose.",
            )
            if isinstance(error, ClaimSetAside)
            else tr("证件或密码不正确。", "The identity document or the password is wrong.")
            if which == "learner" and isinstance(error, Unauthenticated)
            else error.detail
        )
        page = render_template(
            "web/signin.html", next=target, error=message, form=which, kinds=DOCUMENT_KINDS
        )
        return page, 401 if isinstance(error, Unauthenticated) else 400


@blueprint.post("/signout")
def sign_out() -> Reply:
    """End the session (and a learner's sign-in token)."""
    auth.sign_out()
    return redirect(url_for("web_home.index"))


@blueprint.get("/lang/<to>")
def language(to: str) -> Reply:
    """Switch the language and go back to the page."""
    response = redirect(safe_next(request.args.get("next"), url_for("web_home.index")))
    if to in LANGUAGES:
        response.set_cookie(COOKIE, to, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


DOCUMENT_KINDS = tuple(kind.value for kind in DocumentKind)
