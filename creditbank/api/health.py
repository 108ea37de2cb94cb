"""``/healthz``: whether this process can serve, and how fresh the log's checkpoint is."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from creditbank.clock import as_utc, utc_now
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.services import services
from creditbank.storage.database import read_connection

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 with the log's size and checkpoint age when the database answers; 503 otherwise."""
    body: dict[str, Any] = {"status": "ok"}
    try:
        with read_connection(services().engine) as connection:
            head = read_head(connection)
            checkpoint = latest_checkpoint(connection)
    except SQLAlchemyError as exc:
        log.error("health check: database unreachable: %s", exc.__class__.__name__)
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    body["database"] = "ok"
    body["log"] = {
        "size": head.size,
        "checkpoint_size": None if checkpoint is None else checkpoint.size,
        "checkpoint_age_seconds": None
        if checkpoint is None
        else round((utc_now() - as_utc(checkpoint.created_at)).total_seconds(), 3),
    }
    return jsonify(body), 200
