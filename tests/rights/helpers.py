"""Shared steps of the data-rights tests: consents, a posted record, key ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from creditbank.clock import utc_now
from creditbank.identity.secrets import parse_secret
from tests.api.world import World, course

A, B = "CQ-GZ-001", "SC-GZ-001"


def grant(world: World, learner: str, institution: str, scope: str = "read") -> str:
    """``learner`` consents to ``institution`` for ``scope``; return the consent id."""
    until = (utc_now() + timedelta(days=30)).isoformat()
    answer = world.post(
        "/api/v1/learners/me/consents",
        learner,
        {"institution": institution, "scope": scope, "valid_until": until},
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["id"])


def post_course(world: World, learner: str, key: str, **overrides: Any) -> str:
    """Institution A posts one course for ``learner``; return the record id."""
    posted = world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": world.learners[learner], **course(**overrides)}]},
        **{"Idempotency-Key": key},
    )
    assert posted.status_code == 201, posted.get_json()
    return str(posted.get_json()["records"][0]["id"])


def key_id(world: World, who: str) -> str:
    """The key id of the API key ``who``."""
    return parse_secret(world.keys[who])[1]
