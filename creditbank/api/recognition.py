"""``/api/v1/transfers``: the registrar's review queue of transfers whose sources changed."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from creditbank.api.access import require_institution_member
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.recognition import (
    ConfirmedOut,
    ReasonIn,
    ReviewItemOut,
    ReviewQueueOut,
)
from creditbank.clock import utc_now
from creditbank.evaluations import review
from creditbank.identity.principals import Role
from creditbank.storage.database import read_connection
from creditbank.wiring import services

transfers_blueprint = Blueprint("transfers", __name__, url_prefix="/api/v1/transfers")


@transfers_blueprint.get("/under-review")
@documented(
    "The institution's transfers under review", response=ReviewQueueOut, auth="bearer", errors=()
)
def under_review() -> Response:
    """Transfers whose record changed or whose consent was withdrawn, with the change."""
    _, code = require_institution_member(Role.REGISTRAR)
    with read_connection(services().engine) as connection:
        queue = review.review_queue(connection, code)
    return jsonify(
        {
            "transfers": [
                ReviewItemOut().dump(
                    {
                        "transfer": item.transfer,
                        "evaluation": item.evaluation,
                        "learner": item.learner,
                        "policy": item.policy_id,
                        "course": item.course,
                        "credits": item.credits,
                        "change": item.change,
                        "since": item.since,
                        "ledger_index": item.ledger_index,
                    }
                )
                for item in queue
            ]
        }
    )


@transfers_blueprint.post("/<transfer_id>/confirmation")
@documented(
    "Confirm a transfer under review (it stands again); the reason is logged",
    request=ReasonIn,
    response=ConfirmedOut,
    auth="bearer",
    errors=(400, 403, 404, 409),
)
def confirm(transfer_id: str) -> Response:
    """The registrar confirms the transfer: a ``transfer.confirmed`` entry with the reason."""
    client, code = require_institution_member(Role.REGISTRAR)
    body = load(ReasonIn(), json_object())
    index = review.confirm_transfer(
        services().ledger,
        transfer_id,
        institution=code,
        actor=client.actor,
        reason=body["reason"].strip(),
        now=utc_now(),
    )
    return jsonify(
        ConfirmedOut().dump({"transfer": transfer_id, "status": "standing", "ledger_index": index})
    )
