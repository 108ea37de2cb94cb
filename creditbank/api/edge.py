"""What every request passes through: request id, rate limits, body size limit and metrics.

The rate limits are Flask-Limiter's, in shared storage (:mod:`creditbank.api.limits`).
"""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from creditbank.api import limits
from creditbank.api.problems import problem_response
from creditbank.errors import PayloadTooLarge
from creditbank.operations import metrics
from creditbank.wiring import EXTENSION, LazyServices

REQUEST_ID = "X-Request-Id"
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Public verification (API and page): anonymous, so bounded tighter than other bodies.
VERIFY_PATHS = frozenset({"/api/v1/verify", "/verify"})


def init_app(app: Flask) -> None:
    """Install the hooks on ``app``."""
    lazy: LazyServices = app.extensions[EXTENSION]
    operations = lazy.settings.operations
    max_body = operations.max_body_bytes

    @app.before_request
    def _begin() -> None:
        g.started = time.perf_counter()
        offered = request.headers.get(REQUEST_ID)
        g.request_id = offered if offered and _GOOD_ID.match(offered) else uuid.uuid4().hex
        limit = max_body
        if request.path in VERIFY_PATHS:
            # Anyone may ask for a verification: its body gets a bound of its own, also for a
            # body without Content-Length (Werkzeug stops reading past it).
            limit = min(max_body, operations.max_verify_body_bytes)
            request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(_too_large(limit))

    @app.after_request
    def _end(response: Response) -> Response:
        response.headers[REQUEST_ID] = g.get("request_id") or ""
        started = g.get("started")
        if started is not None:
            endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            metrics.observe(
                request.method, endpoint, response.status_code, time.perf_counter() - started
            )
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def _streamed_too_large(_: RequestEntityTooLarge) -> Response:
        # A body without Content-Length that grew past the limit while being read.
        limit = request.max_content_length or max_body
        error = PayloadTooLarge(_too_large(limit))
        return problem_response(error.status, error.slug, error.title, error.detail)

    # After the hooks above: the limits' own hook runs once the request id is set.
    limits.init_app(app, operations)


def _too_large(limit: int) -> str:
    return f"the request body is larger than the {limit}-byte limit"
