"""``/api/v1/learners/…/closure``: closing an account, which leads to erasure."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from creditbank.api.access import require_institution_member, require_learner
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.privacy import ClosureIn, ClosureOut, OwnClosureIn
from creditbank.clock import utc_now
from creditbank.errors import Forbidden, NotFound
from creditbank.identity.principals import LEARNER_ACTOR, Role
from creditbank.privacy.closure import (
    Closure,
    ClosureGround,
    close_account,
    closure_of,
    has_standing,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("closure", __name__, url_prefix="/api/v1/learners")


def closure_json(closure: Closure) -> dict[str, Any]:
    """A closure as the API answers it."""
    return dict(
        ClosureOut().dump(
            {
                "id": closure.learner_id,
                "closed_at": closure.closed_at,
                "closed_by": closure.closed_by,
                "ground": closure.ground.value,
                "erase_after": closure.erase_after,
                "ledger_index": closure.ledger_index,
                "erased_at": closure.erased_at,
            }
        )
    )


@blueprint.post("/me/closure")
@documented(
    "Close one's own account: sign-in ends now, personal data is erased after the grace period",
    status=201,
    request=OwnClosureIn,
    response=ClosureOut,
    auth="bearer",
    errors=(400, 409),
)
def close_own() -> tuple[Response, int]:
    """The signed-in learner closes their account (``{"confirm": true}``)."""
    learner = require_learner()
    load(OwnClosureIn(), json_object())
    s = services()
    closure = close_account(
        s.ledger,
        learner.learner_id,
        actor=LEARNER_ACTOR,
        ground=ClosureGround.LEARNER_REQUEST,
        grace=s.settings.retention.grace,
        now=utc_now(),
    )
    return jsonify(closure_json(closure)), 201


@blueprint.post("/<learner_id>/closure")
@documented(
    "Close a learner's account on a legal ground (registrar)",
    status=201,
    request=ClosureIn,
    response=ClosureOut,
    auth="bearer",
    errors=(400, 403, 404, 409),
)
def close_by_registrar(learner_id: str) -> tuple[Response, int]:
    """A registrar of the institution that opened the account, or holds the learner's consent.

    The ground is recorded in the log; the note stays with the account until it is erased.
    """
    client, code = require_institution_member(Role.REGISTRAR)
    data = load(ClosureIn(), json_object())
    s = services()
    closure = close_account(
        s.ledger,
        learner_id,
        actor=client.actor,
        ground=ClosureGround(data["ground"]),
        grace=s.settings.retention.grace,
        now=utc_now(),
        institution=code,
        note=data["note"],
    )
    return jsonify(closure_json(closure)), 201


@blueprint.get("/<learner_id>/closure")
@documented("A closed account's closure and erasure", response=ClosureOut, auth="bearer")
def show_closure(learner_id: str) -> Response:
    """When the account was closed and (once done) erased, for a registrar with standing.

    That is a registrar of the institution that opened the account or holds its consent.
    """
    _, code = require_institution_member(Role.REGISTRAR)
    with read_connection(services().engine) as connection:
        if not has_standing(connection, learner_id, code, now=utc_now()):
            raise Forbidden("only the opening institution or one with consent may see this")
        closure = closure_of(connection, learner_id)
    if closure is None:
        raise NotFound(f"learner account {learner_id!r} is not closed")
    return jsonify(closure_json(closure))
