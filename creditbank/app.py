"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from creditbank.api import init_app as init_api
from creditbank.api.bodies import StrictJsonProvider
from creditbank.api.problems import http_problem
from creditbank.auth import access_log
from creditbank.clock import utc_now
from creditbank.config import settings_from_env
from creditbank.operations.process import scheduler_enabled, start_background
from creditbank.web.common import unknown_route_page
from creditbank.web.pages import init_app as init_web
from creditbank.wiring import EXTENSION, LazyServices, remember_write

_ANSWERS = ("application/problem+json", "application/json", "text/html")


def _unknown_route(error: HTTPException) -> Response:
    """A page for a browser, a problem document for an API client (by Accept and path)."""
    wants_page = request.accept_mimetypes.best_match(_ANSWERS) == "text/html"
    if wants_page and not request.path.startswith("/api/"):
        return unknown_route_page()
    return http_problem(error)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``test_config`` overrides fields of :class:`Settings`."""
    app = Flask("creditbank", instance_relative_config=True)
    app.json = StrictJsonProvider(app)
    settings = settings_from_env(default_instance=Path(app.instance_path))
    if test_config:
        settings = settings.with_overrides(test_config)
    app.instance_path = str(settings.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = settings.operations.max_body_bytes
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    lazy = LazyServices(settings)
    app.extensions[EXTENSION] = lazy
    init_api(app)
    init_web(app)
    app.register_error_handler(404, _unknown_route)

    @app.before_request
    def _collect_reads() -> None:
        access_log.begin()

    @app.after_request
    def _record_reads(response: Response) -> Response:
        # Institutions' consented reads, noted by the authorisation step, are written once the
        # answer was made, and only when it is a success: a refused or failed read read nothing.
        if response.status_code < 400:
            access_log.flush(lazy.get().engine, now=utc_now())
        else:
            access_log.discard()
        return response

    @app.teardown_request
    def _forget_reads(_error: BaseException | None) -> None:
        access_log.discard()

    @app.before_request
    def _start_background_jobs() -> None:
        # On the first request a serving process handles, not in commands or tests.
        if not app.testing and scheduler_enabled():
            start_background(lazy, lazy.scheduler)

    # Read-your-write with replicas: a visitor's reads after a write wait for it to replicate.
    app.after_request(remember_write)

    return app
