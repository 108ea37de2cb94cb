"""``/api/v1/sessions``: learners sign in for a bearer token and sign out."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from creditbank.api.access import require_learner
from creditbank.api.bodies import json_object, load
from creditbank.api.learners import document_of
from creditbank.api.openapi import documented
from creditbank.api.schemas.members import SignInIn, TokenOut
from creditbank.clock import utc_now
from creditbank.learners import credentials
from creditbank.wiring import services

blueprint = Blueprint("sessions", __name__, url_prefix="/api/v1/sessions")


@blueprint.post("")
@documented(
    "Sign in with document and password",
    status=201,
    request=SignInIn,
    response=TokenOut,
    errors=(400, 401),
)
def sign_in() -> tuple[Response, int]:
    """Exchange an identity document and password for a bearer token."""
    data = load(SignInIn(), json_object())
    document = document_of(data["document"])
    s = services()
    signed = credentials.sign_in(s.engine, s.sealer, document, data["password"], now=utc_now())
    body = TokenOut().dump(
        {
            "learner_id": signed.learner_id,
            "token": signed.token.text,
            "expires_at": signed.expires_at,
        }
    )
    return jsonify(body), 201


@blueprint.delete("/current")
@documented("Sign out", status=204, auth="bearer", errors=())
def sign_out() -> tuple[str, int]:
    """Revoke the token this request was made with."""
    learner = require_learner()
    credentials.sign_out(services().engine, learner.token_id, now=utc_now())
    return "", 204
