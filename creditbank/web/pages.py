"""Registering the web pages on the application: blueprints, sessions, CSRF, headers."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal
from creditbank.web import i18n
from creditbank.web.auth import signed_in
from creditbank.web.common import csrf, security_headers
from creditbank.web.sessions import DatabaseSessionInterface
from creditbank.web.views import (
    admin,
    dashboard,
    data_rights,
    guide,
    home,
    institution,
    institution_files,
    institution_keys,
    notices,
    policies,
    portal,
    queue,
    recognition,
    registrar,
    verify,
)


def _template_globals() -> dict[str, Any]:
    principal = signed_in()
    return {
        "tr": i18n.tr,
        "label": i18n.label,
        "written": i18n.written,
        "reason_words": i18n.reason_words,
        "cap_words": i18n.cap_words,
        "when": i18n.when,
        "when_text": i18n.when_text,
        "lang": i18n.current_language(),
        "principal": principal,
        "is_learner": isinstance(principal, LearnerPrincipal),
        "is_client": isinstance(principal, ClientPrincipal),
    }


def init_app(app: Flask) -> None:
    """Register the pages, sessions, CSRF protection and security headers."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked by the web blueprints only, not the API
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as its session
    app.config["SESSION_COOKIE_SECURE"] = os.environ.get("CREDITBANK_SECURE_COOKIES") == "on"
    app.session_interface = DatabaseSessionInterface()
    csrf.init_app(app)
    app.context_processor(_template_globals)
    app.jinja_env.filters["written"] = i18n.written
    app.after_request(security_headers)
    for module in (
        home,
        verify,
        portal,
        data_rights,
        recognition,
        registrar,
        queue,
        institution,
        institution_keys,
        institution_files,
        notices,
        dashboard,
        guide,
        admin,
        policies,
    ):
        app.register_blueprint(module.blueprint)
