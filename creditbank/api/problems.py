"""The one mapping from errors to RFC 9457 problem documents (``application/problem+json``)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, has_request_context, json, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from creditbank.errors import CreditbankError, InvalidInput, RateLimited

# Stable, non-dereferenceable problem types (RFC 9457 §3.1.1 allows any URI).
PROBLEM_TYPE_BASE = "urn:creditbank:problem:"
log = logging.getLogger(__name__)


def problem_response(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    """Build a problem document response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    body.update(extra)
    if has_request_context() and g.get("request_id") is not None:
        # The same id as the X-Request-Id header and the logs, for support requests.
        body["request_id"] = g.request_id
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/problem+json",
    )


def _from_error(error: CreditbankError) -> Response:
    extra = dict(error.extra)
    if isinstance(error, InvalidInput) and error.problems:
        extra["errors"] = [problem.as_dict() for problem in error.problems]
    response = problem_response(error.status, error.slug, error.title, error.detail, **extra)
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def http_problem(error: HTTPException) -> Response:
    """The problem document of an HTTP error (an unknown route, a wrong method)."""
    return _from_http(error)


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    slug = (error.name or "error").lower().replace(" ", "-")
    return problem_response(status, slug, error.name, error.description or error.name)


def _from_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return problem_response(500, "internal-error", "Internal error", "an unexpected error occurred")


def _from_database_down(error: OperationalError) -> Response:
    # The database is restarting or unreachable: nothing was committed, so a retry is safe
    # (with the same Idempotency-Key for batches); 503 tells clients and balancers so.
    log.warning("database unavailable: %s", error.orig or error)
    response = problem_response(
        503,
        "database-unavailable",
        "Database unavailable",
        "the database cannot be reached just now; retry shortly (a batch retried with the "
        "same Idempotency-Key is never posted twice)",
    )
    response.headers["Retry-After"] = "1"
    return response


def init_app(app: Flask) -> None:
    """Install the handlers."""
    app.register_error_handler(CreditbankError, _from_error)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(OperationalError, _from_database_down)
    app.register_error_handler(Exception, _from_unexpected)
