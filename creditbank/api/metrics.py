"""``/metrics``: Prometheus text exposition (keep it off the public internet: see README.md)."""

from __future__ import annotations

from flask import Blueprint, Response

from creditbank.operations.metrics import exposition
from creditbank.wiring import services

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    """Serve every metric in the Prometheus text format."""
    body, content_type = exposition(services().engine)
    return Response(body, content_type=content_type)
