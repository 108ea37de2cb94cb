"""The authorisation checks on their own: who passes, 401 for nobody, 403 for the wrong caller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.errors import Forbidden, Unauthenticated
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Principal, Role
from creditbank.learners.service import ConsentScope, grant_consent
from creditbank.learners.tables import Consent
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import build_world

OPERATOR = ClientPrincipal("op", None, Role.ADMIN)
POSTER_A = ClientPrincipal("pa", "CQ-GZ-001", Role.POSTER)
REGISTRAR_A = ClientPrincipal("ra", "CQ-GZ-001", Role.REGISTRAR)
ADMIN_A = ClientPrincipal("aa", "CQ-GZ-001", Role.ADMIN)
LEARNER = LearnerPrincipal("learner-1", "token-1")


def test_nobody_is_unauthenticated_everywhere() -> None:
    for check in (
        authorise.require_principal,
        authorise.require_operator,
        authorise.require_client,
        authorise.require_institution_member,
        authorise.require_learner,
    ):
        with pytest.raises(Unauthenticated):
            check(None)


def test_only_operators_pass_the_operator_check() -> None:
    assert authorise.require_operator(OPERATOR) is OPERATOR
    for other in (ADMIN_A, POSTER_A, LEARNER):
        with pytest.raises(Forbidden, match="only the bank's operators"):
            authorise.require_operator(other)


def test_clients_need_their_institution_and_a_role() -> None:
    assert authorise.require_client(POSTER_A, "CQ-GZ-001", Role.POSTER) is POSTER_A
    assert authorise.require_client(ADMIN_A, "CQ-GZ-001", Role.POSTER) is ADMIN_A  # admin: all
    assert authorise.require_client(OPERATOR, "SC-GZ-001", Role.POSTER) is OPERATOR
    with pytest.raises(Forbidden, match="cannot act for SC-GZ-001"):
        authorise.require_client(POSTER_A, "SC-GZ-001", Role.POSTER)
    with pytest.raises(Forbidden, match="needs the admin or registrar role; the key has poster"):
        authorise.require_client(POSTER_A, None, Role.REGISTRAR)
    with pytest.raises(Forbidden, match="institutions' API clients"):
        authorise.require_client(LEARNER)
    with pytest.raises(Forbidden, match="belongs to no institution"):
        authorise.require_client(ClientPrincipal("x", None, Role.POSTER))


def test_institution_members_exclude_the_operators() -> None:
    assert authorise.require_institution_member(REGISTRAR_A, Role.REGISTRAR) == (
        REGISTRAR_A,
        "CQ-GZ-001",
    )
    with pytest.raises(Forbidden, match="only a member institution's API key"):
        authorise.require_institution_member(OPERATOR)


def test_learners_see_only_themselves() -> None:
    assert authorise.require_learner(LEARNER) is LEARNER
    assert authorise.require_learner(LEARNER, "learner-1") is LEARNER
    with pytest.raises(Forbidden, match="only their own account"):
        authorise.require_learner(LEARNER, "learner-2")
    with pytest.raises(Forbidden, match="for signed-in learners"):
        authorise.require_learner(ADMIN_A)


def _consents(services: Services) -> int:
    with read_connection(services.engine) as connection:
        count: int = connection.execute(
            select(func.count()).select_from(Consent.__table__)  # type: ignore[attr-defined]
        ).scalar_one()
    return count


def test_readers_need_the_learners_consent_and_a_refusal_writes_nothing(
    client: FlaskClient, services: Services
) -> None:
    world = build_world(client, services)
    li = world.learners["li"]
    now = utc_now()
    grant_consent(
        services.ledger, li, "CQ-GZ-001", ConsentScope.READ, now + timedelta(days=30), now=now
    )
    size, consents = world.size(), _consents(services)

    def reader(principal: Principal | None, scope: ConsentScope = ConsentScope.READ) -> Principal:
        with read_connection(services.engine) as connection:
            return authorise.require_reader_of(principal, connection, li, scope, now=utc_now())

    assert reader(REGISTRAR_A) is REGISTRAR_A
    assert reader(LearnerPrincipal(li, "t")) == LearnerPrincipal(li, "t")
    with pytest.raises(Unauthenticated):
        reader(None)
    with pytest.raises(Forbidden, match="only their own account"):
        reader(LEARNER)
    with pytest.raises(Forbidden, match="do not read learners' accounts"):
        reader(OPERATOR)
    with pytest.raises(Forbidden, match="SC-GZ-001 no read consent"):
        reader(ClientPrincipal("rb", "SC-GZ-001", Role.REGISTRAR))
    with pytest.raises(Forbidden, match="CQ-GZ-001 no evaluate consent"):
        reader(REGISTRAR_A, ConsentScope.EVALUATE)
    # The same refusal for an account that does not exist: no probing.
    with read_connection(services.engine) as connection, pytest.raises(Forbidden, match="no read"):
        authorise.require_reader_of(
            ClientPrincipal("rb", "SC-GZ-001", Role.REGISTRAR), connection, "nobody", now=now
        )
    assert (world.size(), _consents(services)) == (size, consents)
