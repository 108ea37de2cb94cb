"""Witness endpoints under ``/api/v1/log``: submitting cosignatures, cosigned checkpoints, status.

``GET /api/v1/log/checkpoint`` (in :mod:`creditbank.api.log`) stays the bank-signed note, byte
for byte as published; the cosigned note has its own address.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from creditbank.api.openapi import COUNT, documented
from creditbank.api.params import int_param
from creditbank.errors import (
    FieldProblem,
    InvalidInput,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
)
from creditbank.wiring import services
from creditbank.witness.collector.service import Witnesses, witnesses_of

blueprint = Blueprint("witnesses", __name__, url_prefix="/api/v1/log")
# A checkpoint with a hundred signature lines is about 12 KiB.
MAX_SUBMISSION_BYTES = 64 * 1024


def _witnesses() -> Witnesses:
    opened = services()
    return witnesses_of(opened.ledger, opened.settings.witness_keys)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text_body() -> str:
    if request.mimetype != "text/plain":
        raise InvalidInput(
            "the body must be a signed checkpoint note sent as text/plain",
            problems=[FieldProblem("Content-Type", "must be text/plain")],
        )
    if (request.content_length or 0) > MAX_SUBMISSION_BYTES:
        raise PayloadTooLarge(f"a cosigned checkpoint is at most {MAX_SUBMISSION_BYTES} bytes")
    data = request.get_data(cache=False)
    if len(data) > MAX_SUBMISSION_BYTES:
        raise PayloadTooLarge(f"a cosigned checkpoint is at most {MAX_SUBMISSION_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the body is not UTF-8", problems=[FieldProblem("body", "not UTF-8")]
        ) from None


@blueprint.post("/cosignatures")
@documented(
    "Submit a witness cosignature: the bank-signed checkpoint with the witness's line appended",
    request="text",
    response="CosignaturesAcceptedOut",
    errors=(400, 403, 404, 415, 422),
)
def submit() -> Response:
    """Verify a configured witness's cosignature(s) on a published checkpoint and keep them."""
    accepted = _witnesses().accept(_text_body())
    body: dict[str, Any] = {
        "size": accepted.size,
        "root_hash": base64.b64encode(accepted.root_hash).decode("ascii"),
        "accepted": [{"witness": c.label, "timestamp": c.timestamp} for c in accepted.cosignatures],
    }
    return jsonify(body)


@blueprint.get("/checkpoint/cosigned")
@documented(
    "The largest checkpoint cosigned by witnesses (the bank-signed note plus cosignature lines)",
    response="text",
    query=(("witnesses", {**COUNT, "minimum": 1}, False),),
    errors=(400, 404),
)
def cosigned() -> Response:
    """Serve the largest checkpoint with at least ``witnesses`` (default 1) cosignatures."""
    witnesses = _witnesses()
    minimum = int_param("witnesses") if "witnesses" in request.args else 1
    if not 1 <= minimum <= max(1, len(witnesses.keys)):
        raise InvalidParameter(
            "witnesses", f"must be between 1 and the {len(witnesses.keys)} configured witnesses"
        )
    found = witnesses.cosigned(minimum=minimum)
    if found is None:
        raise NotFound(f"no checkpoint is cosigned by {minimum} configured witness(es) yet")
    response = Response(found.note, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/witnesses")
@documented("The configured witnesses and what each last cosigned", response="WitnessesOut")
def status() -> Response:
    """List every configured witness with its latest cosigned size and time."""
    out = []
    for entry in _witnesses().status():
        latest = None
        if entry.size is not None and entry.timestamp is not None:
            latest = {
                "size": entry.size,
                "timestamp": entry.timestamp,
                "time": _iso(datetime.fromtimestamp(entry.timestamp, UTC)),
                "received_at": None if entry.received_at is None else _iso(entry.received_at),
            }
        out.append(
            {
                "name": entry.key.name,
                "key_id": entry.key.key_id.hex(),
                "verifier_key": entry.key.verifier_key(),
                "latest": latest,
            }
        )
    return jsonify({"witnesses": out})
