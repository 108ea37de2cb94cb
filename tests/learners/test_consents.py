"""Consents: granted for a scope until a time, active until expired or withdrawn."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from creditbank.clock import utc_now
from creditbank.errors import InvalidInput, NotFound
from creditbank.learners.service import (
    MAX_CONSENT,
    ConsentScope,
    ConsentView,
    consenting_learners,
    grant_consent,
    has_consent,
    list_consents,
    withdraw_consent,
)
from creditbank.ledger.service import LedgerTransaction
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World


def _after(
    tx: LedgerTransaction, consent: ConsentView, /, *, actor: str, now: datetime
) -> list[str]:
    return []  # what relied on a consent is tested in tests/evaluations/test_review.py


A, B = "CQ-GZ-001", "SC-GZ-001"


def _has(
    services: Services, learner: str, institution: str, scope: ConsentScope, at: datetime
) -> bool:
    with read_connection(services.engine) as connection:
        return has_consent(connection, learner, institution, scope, now=at)


def test_a_consent_covers_its_scope_and_institution_until_it_ends(
    base_world: World, engine_name: str
) -> None:
    services, li = base_world.services, base_world.learners["li"]
    now = utc_now()
    until = now + timedelta(days=30)
    consent = grant_consent(services.ledger, li, A, ConsentScope.READ, until, now=now)
    assert consent.active(now) and not consent.active(until)
    assert _has(services, li, A, ConsentScope.READ, now)
    assert not _has(services, li, A, ConsentScope.EVALUATE, now)  # read does not imply evaluate
    assert not _has(services, li, B, ConsentScope.READ, now)
    assert not _has(services, base_world.learners["wang"], A, ConsentScope.READ, now)
    assert not _has(services, li, A, ConsentScope.READ, until)  # expired at valid_until
    assert not _has(services, li, A, ConsentScope.READ, now - timedelta(seconds=1))


def test_evaluate_implies_read_and_lists_the_consenting_learners(
    base_world: World, engine_name: str
) -> None:
    services, now = base_world.services, utc_now()
    until = now + timedelta(days=1)
    for name in ("wang", "li"):
        learner = base_world.learners[name]
        grant_consent(services.ledger, learner, A, ConsentScope.EVALUATE, until, now=now)
        assert _has(services, learner, A, ConsentScope.READ, now)
    with read_connection(services.engine) as connection:
        evaluating = consenting_learners(connection, A, ConsentScope.EVALUATE, now=now)
        assert evaluating == sorted(base_world.learners.values())
        assert consenting_learners(connection, B, ConsentScope.READ, now=now) == []
        assert consenting_learners(connection, A, ConsentScope.READ, now=until) == []


def test_a_withdrawn_consent_ends_at_once_and_is_logged_once(
    base_world: World, engine_name: str
) -> None:
    services, li, now = base_world.services, base_world.learners["li"], utc_now()
    first = grant_consent(
        services.ledger, li, A, ConsentScope.READ, now + timedelta(days=1), now=now
    )
    second = grant_consent(
        services.ledger, li, B, ConsentScope.READ, now + timedelta(days=1), now=now
    )
    size = services.ledger.head().size
    withdrawn = withdraw_consent(services.ledger, li, first.id, now=now, after_withdrawal=_after)
    assert withdrawn.withdrawn_at is not None and not withdrawn.active(now)
    assert (
        withdraw_consent(services.ledger, li, first.id, now=utc_now(), after_withdrawal=_after)
        == withdrawn
    )
    assert services.ledger.head().size == size + 1
    assert not _has(services, li, A, ConsentScope.READ, now)
    assert _has(services, li, B, ConsentScope.READ, now)
    with pytest.raises(NotFound):  # only the learner who gave it withdraws it
        withdraw_consent(
            services.ledger,
            base_world.learners["wang"],
            second.id,
            now=now,
            after_withdrawal=_after,
        )
    with read_connection(services.engine) as connection:
        assert [c.id for c in list_consents(connection, li)] == [second.id, first.id]


@pytest.mark.parametrize(
    "offset", [timedelta(0), timedelta(days=-1), MAX_CONSENT + timedelta(seconds=1)]
)
def test_a_consent_must_end_in_the_future_within_five_years(
    base_world: World, offset: timedelta
) -> None:
    now = utc_now()
    with pytest.raises(InvalidInput) as refused:
        grant_consent(
            base_world.services.ledger,
            base_world.learners["li"],
            A,
            ConsentScope.READ,
            now + offset,
            now=now,
        )
    assert refused.value.problems[0].field == "valid_until"


def test_five_years_is_the_longest_consent(base_world: World) -> None:
    now = utc_now()
    longest = grant_consent(
        base_world.services.ledger,
        base_world.learners["li"],
        A,
        ConsentScope.READ,
        now + MAX_CONSENT,
        now=now,
    )
    assert longest.active(now + MAX_CONSENT - timedelta(seconds=1))


def test_consent_for_an_unknown_institution_is_not_found(base_world: World) -> None:
    now = utc_now()
    with pytest.raises(NotFound):
        grant_consent(
            base_world.services.ledger,
            base_world.learners["li"],
            "XX-000",
            ConsentScope.READ,
            now + timedelta(days=1),
            now=now,
        )
