"""``/api/v1/institutions/{code}/delegations`` and ``…/leave``: who may post from whom.

Delegations are public, like membership: a verifier may look up what allowed a member to
post an outcome from another.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify

from creditbank.api.access import require_delegation_manager, require_operator
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.delegations import (
    DelegationIn,
    DelegationListOut,
    DelegationOut,
    EndIn,
    LeftOut,
)
from creditbank.clock import utc_now
from creditbank.institutions.service import get_institution, leave_institution
from creditbank.records import delegations
from creditbank.records.vocabulary import OutcomeKind
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("delegations", __name__, url_prefix="/api/v1/institutions")


def delegation_json(view: delegations.DelegationView) -> dict[str, Any]:
    """The JSON form of a delegation, with whether it is in force now."""
    active = view.ended_at is None and (
        view.effective_until is None or utc_now() < view.effective_until
    )
    return dict(DelegationOut().dump({**asdict(view), "active": active}))


@blueprint.post("/<code>/delegations")
@documented(
    "Delegate posting outcomes from this institution to another member",
    status=201,
    request=DelegationIn,
    response=DelegationOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def grant(code: str) -> tuple[Response, int]:
    """Let ``delegate`` post outcomes of ``kinds`` from ``code`` (its admin, or an operator)."""
    principal = require_delegation_manager(code)
    data = load(DelegationIn(), json_object())
    now = utc_now()
    terms = delegations.DelegationTerms(
        delegate=data["delegate"],
        kinds=tuple(OutcomeKind(kind) for kind in data["kinds"]),
        effective_from=data["effective_from"] or now,
        effective_until=data["effective_until"],
        reason=data["reason"].strip(),
    )
    view = delegations.grant_delegation(services().ledger, code, terms, by=principal, now=now)
    return jsonify(delegation_json(view)), 201


@blueprint.get("/<code>/delegations")
@documented("Delegations a member granted or received", response=DelegationListOut, errors=(404,))
def index(code: str) -> Response:
    """Every delegation from or to ``code`` (public, like membership)."""
    with read_connection(services().engine) as connection:
        get_institution(connection, code)
        found = delegations.list_delegations(connection, code)
    return jsonify({"delegations": [delegation_json(view) for view in found]})


@blueprint.post("/<code>/delegations/<delegation_id>/end")
@documented(
    "End a delegation",
    request=EndIn,
    response=DelegationOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def end(code: str, delegation_id: str) -> Response:
    """End a delegation ``code`` granted; what was posted under it stays."""
    principal = require_delegation_manager(code)
    data = load(EndIn(), json_object())
    view = delegations.end_delegation(
        services().ledger,
        code,
        delegation_id,
        by=principal,
        reason=data["reason"].strip(),
        now=utc_now(),
    )
    return jsonify(delegation_json(view))


@blueprint.post("/<code>/leave")
@documented(
    "Record that a member left the bank",
    request=EndIn,
    response=LeftOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def leave(code: str) -> Response:
    """A member leaves (operators): its delegations end, it posts nothing new, its records stay."""
    principal = require_operator()
    data = load(EndIn(), json_object())
    ended: list[str] = []

    def end_all(*args: Any, **kwargs: Any) -> list[str]:
        ended.extend(delegations.end_delegations_of(*args, **kwargs))
        return ended

    left = leave_institution(
        services().ledger,
        code,
        actor=principal.actor,
        by=delegations.registrant(principal),
        reason=data["reason"].strip(),
        now=utc_now(),
        end_dependents=end_all,
    )
    return jsonify(
        LeftOut().dump(
            {
                "code": code,
                "left_at": left.left_at,
                "left_index": left.left_index,
                "delegations_ended": ended,
            }
        )
    )
