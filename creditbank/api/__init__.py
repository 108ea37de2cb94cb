"""The HTTP API: one blueprint per resource, errors mapped once to RFC 9457 problems."""

from __future__ import annotations

from flask import Flask

from creditbank.api import log, problems


def init_app(app: Flask) -> None:
    """Register the error handlers and every blueprint."""
    problems.init_app(app)
    app.register_blueprint(log.blueprint)
