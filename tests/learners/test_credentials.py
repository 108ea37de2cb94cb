"""Activation, sign-in and sign-out on their own: each writes in its own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from creditbank.clock import as_utc, utc_now
from creditbank.errors import InvalidInput, Unauthenticated
from creditbank.identity.documents import IdentityDocument, parse_document
from creditbank.learners import credentials
from creditbank.learners.registration import register_self
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.learners.tables import Learner, LearnerToken
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import resident_id

learner_t = Learner.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]

PASSWORD = "chongqing-2026"


@pytest.fixture(autouse=True)
def _both_engines(engine_name: str) -> None:
    """Every test here runs on SQLite and on PostgreSQL."""


def _document(sequence: str = "123") -> IdentityDocument:
    return parse_document("resident_id", resident_id(sequence=sequence), today=utc_now().date())


def _open(services: Services, document: IdentityDocument, *, by: str) -> tuple[str, str | None]:
    """Open an account as institution ``by``, or register it alone (``"self"``)."""
    if by == "self":
        register_self(
            services.ledger, services.sealer, NewLearner("李明", document, PASSWORD), now=utc_now()
        )
        with read_connection(services.engine) as connection:
            return connection.execute(select(learner_t.c.id)).scalar_one(), None
    [account] = open_accounts(
        services.ledger,
        services.sealer,
        [NewLearner("李明", document)],
        opened_by=by,
        actor=f"institution:{by}",
        now=utc_now(),
    )
    return account.learner_id, account.activation_code


def test_activation_sets_the_first_password_once(services: Services) -> None:
    document = _document()
    learner_id, code = _open(services, document, by="CQ-ZZ-001")
    assert code is not None
    with pytest.raises(Unauthenticated):  # no password yet
        credentials.sign_in(services.engine, services.sealer, document, PASSWORD, now=utc_now())

    assert (
        credentials.activate(services.engine, services.sealer, document, code, PASSWORD)
        == learner_id
    )

    signed = credentials.sign_in(
        services.engine, services.sealer, document, PASSWORD, now=utc_now()
    )
    assert signed.learner_id == learner_id
    with pytest.raises(Unauthenticated, match="activation code is wrong"):  # spent
        credentials.activate(services.engine, services.sealer, document, code, "another-pass-1")


def test_activation_refuses_a_wrong_code_or_document_alike(services: Services) -> None:
    document = _document()
    _, code = _open(services, document, by="CQ-ZZ-001")
    assert code is not None
    for who, given in ((document, code + "x"), (_document("124"), code)):
        with pytest.raises(
            Unauthenticated, match="the identity document or the activation code is wrong"
        ):
            credentials.activate(services.engine, services.sealer, who, given, PASSWORD)
    with read_connection(services.engine) as connection:
        row = connection.execute(select(learner_t)).one()
    assert row.password_hash is None
    assert row.activation_hash is not None


def test_a_weak_password_is_refused_before_the_code_is_spent(services: Services) -> None:
    document = _document()
    _, code = _open(services, document, by="CQ-ZZ-001")
    assert code is not None
    with pytest.raises(InvalidInput) as refused:
        credentials.activate(services.engine, services.sealer, document, code, "short")
    assert [p.field for p in refused.value.problems] == ["password"]
    assert credentials.activate(services.engine, services.sealer, document, code, PASSWORD)


def test_sign_in_issues_a_token_that_lasts_eight_hours(services: Services) -> None:
    document = _document()
    learner_id, _ = _open(services, document, by="self")
    now = utc_now()

    signed = credentials.sign_in(services.engine, services.sealer, document, PASSWORD, now=now)

    assert signed.learner_id == learner_id
    assert signed.expires_at == now + timedelta(hours=8)
    assert signed.token.text.startswith("cbl")
    with read_connection(services.engine) as connection:
        row = connection.execute(
            select(token_t).where(token_t.c.key_id == signed.token.key_id)
        ).one()
    assert row.learner == learner_id
    assert row.secret_hash == signed.token.secret_hash  # only the hash is kept
    assert as_utc(row.expires_at) == signed.expires_at
    assert row.revoked_at is None


def test_sign_in_gives_one_answer_for_every_failure(services: Services) -> None:
    document = _document()
    _open(services, document, by="self")
    for who, password in ((document, "not-the-password1"), (_document("124"), PASSWORD)):
        with pytest.raises(Unauthenticated, match="the identity document or the password is wrong"):
            credentials.sign_in(services.engine, services.sealer, who, password, now=utc_now())
    with read_connection(services.engine) as connection:
        assert connection.execute(select(token_t)).first() is None


def test_sign_out_revokes_only_that_token(services: Services) -> None:
    document = _document()
    _open(services, document, by="self")
    first = credentials.sign_in(services.engine, services.sealer, document, PASSWORD, now=utc_now())
    second = credentials.sign_in(
        services.engine, services.sealer, document, PASSWORD, now=utc_now()
    )
    now = utc_now()

    credentials.sign_out(services.engine, first.token.key_id, now=now)

    with read_connection(services.engine) as connection:
        revoked = dict(connection.execute(select(token_t.c.key_id, token_t.c.revoked_at)).all())
    assert as_utc(revoked[first.token.key_id]) == now
    assert revoked[second.token.key_id] is None
