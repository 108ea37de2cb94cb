"""Identity assurance in the service: claims, verified openings, races, merges, names.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from creditbank.clock import utc_now
from creditbank.errors import ClaimSetAside, Conflict, Forbidden, NameMismatch
from creditbank.identity.documents import IdentityDocument, parse_document
from creditbank.identity.principals import CONSOLE_ACTOR
from creditbank.institutions.service import InstitutionInfo, register_institution
from creditbank.learners import credentials
from creditbank.learners.assurance import Assurance, same_name
from creditbank.learners.merging import merge_accounts
from creditbank.learners.registration import register_self
from creditbank.learners.service import (
    ConsentScope,
    NewLearner,
    grant_consent,
    open_accounts,
    unpostable_learners,
)
from creditbank.learners.tables import Learner, LearnerToken
from creditbank.ledger.store import entry_t
from creditbank.records.moves import move_records
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import resident_id

learner_t = Learner.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]

A, B = "CQ-ZZ-001", "SC-ZZ-001"
PASSWORD = "chongqing-2026"


@pytest.fixture(autouse=True)
def _both_engines(engine_name: str) -> None:
    """Every test here runs on SQLite and on PostgreSQL."""


def _document(sequence: str = "321") -> IdentityDocument:
    return parse_document("resident_id", resident_id(sequence=sequence), today=utc_now().date())


def _open(services: Services, document: IdentityDocument, by: str, name: str = "张伟") -> Any:
    [account] = open_accounts(
        services.ledger,
        services.sealer,
        [NewLearner(name, document)],
        opened_by=by,
        actor=f"institution:{by}",
        now=utc_now(),
    )
    return account


def _rows(services: Services) -> list[Any]:
    with read_connection(services.engine) as connection:
        return list(connection.execute(select(learner_t).order_by(learner_t.c.opened_at)))


def _kinds(services: Services) -> list[str]:
    with read_connection(services.engine) as connection:
        data = connection.execute(select(entry_t.c.data).order_by(entry_t.c.idx)).scalars()
        return [json.loads(bytes(entry))["kind"] for entry in data]


def test_an_institution_sets_a_self_asserted_claim_aside_and_never_merges_it(
    services: Services,
) -> None:
    document = _document()
    register_self(
        services.ledger, services.sealer, NewLearner("冒名者", document, PASSWORD), now=utc_now()
    )
    [claim] = _rows(services)
    assert claim.assurance == Assurance.SELF_ASSERTED.value
    assert claim.bound_by is None
    credentials.sign_in(services.engine, services.sealer, document, PASSWORD, now=utc_now())
    with read_connection(services.engine) as connection:
        assert unpostable_learners(connection, [claim.id])  # holds nothing institutions post

    opened = _open(services, document, A)

    assert opened.created and opened.learner_id != claim.id and opened.activation_code
    rows = {row.id: row for row in _rows(services)}
    verified, aside = rows[opened.learner_id], rows[claim.id]
    assert (verified.assurance, verified.bound_by) == (Assurance.INSTITUTION_VERIFIED.value, A)
    assert verified.bound_at is not None
    assert aside.set_aside_lookup == verified.lookup
    assert aside.lookup == f"set-aside:{claim.id}"
    assert aside.set_aside_index is not None
    assert _kinds(services)[-2:] == ["learner.claim_set_aside", "learner.opened"]
    with read_connection(services.engine) as connection:
        live = connection.execute(
            select(func.count()).select_from(token_t).where(token_t.c.revoked_at.is_(None))
        ).scalar_one()
        assert unpostable_learners(connection, [opened.learner_id]) == {}
    assert live == 0  # the claim's sign-ins ended
    with pytest.raises(ClaimSetAside, match="set aside"):
        credentials.sign_in(services.engine, services.sealer, document, PASSWORD, now=utc_now())


def test_a_self_registration_never_replaces_or_reaches_a_verified_account(
    services: Services,
) -> None:
    document = _document()
    opened = _open(services, document, A)
    before, kinds = _rows(services), _kinds(services)
    register_self(
        services.ledger, services.sealer, NewLearner("冒名者", document, PASSWORD), now=utc_now()
    )
    assert [(r.id, r.password_hash) for r in _rows(services)] == [
        (r.id, r.password_hash) for r in before
    ]
    assert _kinds(services) == kinds  # an unconfirmed claim is not the log's business
    assert _open(services, document, B).learner_id == opened.learner_id


def test_a_name_that_does_not_match_is_refused_without_the_stored_one(services: Services) -> None:
    document = _document()
    _open(services, document, A, name="张伟")
    size = services.ledger.head().size
    with pytest.raises(NameMismatch) as refused:
        _open(services, document, B, name="李四")
    assert "张伟" not in str(refused.value.detail) + str(refused.value.extra)
    assert services.ledger.head().size == size
    with pytest.raises(NameMismatch):  # the same document twice in one batch, two names
        open_accounts(
            services.ledger,
            services.sealer,
            [NewLearner("王五", _document("654")), NewLearner("王六", _document("654"))],
            opened_by=A,
            actor=f"institution:{A}",
            now=utc_now(),
        )
    assert services.ledger.head().size == size


@given(name=st.text(alphabet="张伟李明abcXYZ·. ", min_size=1, max_size=12))
def test_names_compare_without_width_case_or_spacing(name: str) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    assert same_name(name, f"  {wide.upper()} ")
    assert same_name(name, name.replace(" ", ""))
    assert not same_name(name + "甲", name + "乙")


def _race(services: Services, document: IdentityDocument) -> dict[str, Any]:
    """Open ``document`` as A and as B in two threads released at the same moment."""
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}
    failures: list[BaseException] = []

    def open_as(code: str) -> None:
        start.wait()
        try:
            answers[code] = _open(services, document, code)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=open_as, args=(code,)) for code in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return answers


def test_two_institutions_opening_one_document_at_once_get_one_account(
    services: Services,
) -> None:
    for sequence in ("401", "402", "403"):
        answers = _race(services, _document(sequence))
        assert answers[A].learner_id == answers[B].learner_id
        assert sorted(a.created for a in answers.values()) == [False, True]
    assert len(_rows(services)) == 3
    assert _kinds(services).count("learner.opened") == 3


def _member(services: Services, code: str) -> None:
    register_institution(
        services.ledger,
        InstitutionInfo(code, code, code, "zhongzhi_school", "zhongzhi", "重庆"),
        actor=CONSOLE_ACTOR,
        now=utc_now(),
    )


def test_a_merge_needs_consent_on_both_verified_accounts_and_writes_nothing_otherwise(
    services: Services,
) -> None:
    _member(services, A)
    passport = parse_document("passport", "E7654321", country="CHN", today=utc_now().date())
    alias = _open(services, passport, A, name="ZHANG WEI").learner_id
    into = _open(services, _document(), A).learner_id
    register_self(
        services.ledger,
        services.sealer,
        NewLearner("张伟", _document("999"), PASSWORD),
        now=utc_now(),
    )
    claim = next(r.id for r in _rows(services) if r.assurance == Assurance.SELF_ASSERTED.value)

    def merge(alias: str = alias, into: str = into) -> Any:
        return merge_accounts(
            services.ledger,
            alias=alias,
            into=into,
            institution=A,
            actor=f"institution:{A}",
            reason="同一人先后持护照和居民身份证",
            now=utc_now(),
            move_records=move_records,
        )

    size = services.ledger.head().size
    with pytest.raises(Forbidden):  # no consent yet
        merge()
    until = utc_now() + timedelta(days=30)
    for learner in (alias, into, claim):
        grant_consent(services.ledger, learner, A, ConsentScope.READ, until, now=utc_now())
    size = services.ledger.head().size
    with pytest.raises(Conflict, match="not institution-verified"):
        merge(alias=claim)
    assert services.ledger.head().size == size

    merged = merge()

    assert (merged.alias, merged.into, merged.records_moved) == (alias, into, 0)
    rows = {row.id: row for row in _rows(services)}
    assert rows[alias].merged_into == into and rows[alias].merged_index == merged.ledger_index
    assert _kinds(services)[-1] == "learner.merged"
    assert _open(services, passport, B, name="Zhang Wei").learner_id == into
    with pytest.raises(Conflict, match="already merged"):
        merge()

    # Merged again later, the first alias still resolves to the account that holds everything.
    last = _open(services, _document("998"), A, name="张伟").learner_id
    grant_consent(services.ledger, last, A, ConsentScope.READ, until, now=utc_now())
    merge(alias=into, into=last)
    assert _open(services, passport, B, name="ZHANG WEI").learner_id == last
    rows = {row.id: row for row in _rows(services)}
    assert rows[alias].merged_into == rows[into].merged_into == last
