"""Bearer secrets to principals: API keys and learner tokens, and every way one is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from creditbank.auth.authenticate import authenticate, bearer_secret
from creditbank.clock import utc_now
from creditbank.errors import Unauthenticated
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Role
from creditbank.identity.secrets import new_secret, parse_secret
from creditbank.institutions.clients import CONSOLE, revoke_client
from creditbank.learners.credentials import sign_out
from creditbank.storage.database import read_connection
from tests.api.world import World


def _who(world: World, secret: str, *, hours: float = 0) -> object:
    with read_connection(world.services.engine) as connection:
        return authenticate(connection, secret, now=utc_now() + timedelta(hours=hours))


def _refused(world: World, secret: str, *, hours: float = 0) -> str:
    with pytest.raises(Unauthenticated) as refused:
        _who(world, secret, hours=hours)
    return str(refused.value)


@pytest.mark.parametrize(
    ("header", "secret"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer  abc ", "abc")],
)
def test_bearer_secret_reads_the_header(header: str | None, secret: str | None) -> None:
    assert bearer_secret(header) == secret


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "abc"])
def test_other_authorization_headers_are_refused(header: str) -> None:
    with pytest.raises(Unauthenticated, match="must be 'Bearer <secret>'"):
        bearer_secret(header)


def test_an_api_key_is_its_institution_and_role(base_world: World) -> None:
    key = base_world.keys["posterA"]
    assert _who(base_world, key) == ClientPrincipal(parse_secret(key)[1], "CQ-GZ-001", Role.POSTER)
    operator = _who(base_world, base_world.keys["operator"])
    assert isinstance(operator, ClientPrincipal) and operator.is_operator


def test_a_learner_token_is_its_learner(base_world: World) -> None:
    token = base_world.tokens["li"]
    assert _who(base_world, token) == LearnerPrincipal(
        base_world.learners["li"], parse_secret(token)[1]
    )


def test_unknown_and_altered_secrets_are_refused(base_world: World) -> None:
    assert _refused(base_world, new_secret("cbk").text) == "unknown API key"
    assert _refused(base_world, new_secret("cbl").text) == "unknown sign-in token"
    key = base_world.keys["posterA"]
    altered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert _refused(base_world, altered) == "unknown API key"
    assert _refused(base_world, new_secret("xyz").text).startswith("the bearer secret is neither")
    assert _refused(base_world, "not a secret") == "the bearer secret is malformed"


def test_a_revoked_api_key_is_refused(base_world: World) -> None:
    key = base_world.keys["registrarB"]
    revoke_client(
        base_world.services.ledger, "SC-GZ-001", parse_secret(key)[1], by=CONSOLE, now=utc_now()
    )
    assert _refused(base_world, key) == "this API key was revoked"


def test_a_signed_out_or_expired_token_is_refused(base_world: World) -> None:
    li, wang = base_world.tokens["li"], base_world.tokens["wang"]
    sign_out(base_world.services.engine, parse_secret(li)[1], now=utc_now())
    assert _refused(base_world, li) == "this sign-in token was signed out"
    assert isinstance(_who(base_world, wang, hours=7), LearnerPrincipal)
    assert _refused(base_world, wang, hours=9) == "this sign-in token has expired: sign in again"
