"""Key issuance rules, for any order of acts: no key an operator issued for an institution
authenticates before that institution's admin accepted it, and every act is one log entry."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from creditbank.auth.authenticate import client_principal
from creditbank.errors import Conflict, CreditbankError, Forbidden, Unauthenticated
from creditbank.identity.principals import ClientPrincipal, Role
from creditbank.institutions.clients import (
    CONSOLE,
    Acting,
    KeyStatus,
    accept_client,
    client_t,
    issue_client,
    list_clients,
    revoke_client,
)
from creditbank.institutions.service import InstitutionInfo, register_institution
from creditbank.storage.database import read_connection
from creditbank.wiring import Services

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
_codes = itertools.count()

# An act: (who, what, role or key position). who: the operator, or the admin key at a position.
acts = st.lists(
    st.tuples(
        st.sampled_from(["operator", "admin"]),
        st.sampled_from(["issue", "accept", "revoke"]),
        st.sampled_from(list(Role)),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=12,
)


def _register(services: Services) -> str:
    code = f"CQ-T-{next(_codes):04d}"
    info = InstitutionInfo(code, "测试学校", "Test school", "zhongzhi_school", "zhongzhi", "重庆")
    register_institution(services.ledger, info, actor=CONSOLE.actor, now=NOW)
    return code


def _acting(services: Services, code: str, position: int, who: str) -> Acting:
    if who == "operator":
        return CONSOLE
    with read_connection(services.engine) as connection:
        admins = [
            c
            for c in list_clients(connection, code)
            if c.role is Role.ADMIN and c.status in (KeyStatus.ACTIVE, KeyStatus.BOOTSTRAP)
        ]
    if not admins:
        return CONSOLE
    chosen = admins[position % len(admins)]
    return Acting.of(ClientPrincipal(chosen.key_id, code, Role.ADMIN, bootstrap=chosen.bootstrap))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(acts)
def test_no_operator_key_works_unaccepted_and_every_act_is_one_entry(
    services: Services, sequence: list[tuple[str, str, Role, int]]
) -> None:
    code = _register(services)
    for who, what, role, position in sequence:
        by = _acting(services, code, position, who)
        with read_connection(services.engine) as connection:
            keys = list_clients(connection, code)
        before = services.ledger.head().size
        try:
            if what == "issue":
                issue_client(services.ledger, code, role, "k", by=by, now=NOW)
            elif keys:
                target = keys[position % len(keys)].key_id
                act = accept_client if what == "accept" else revoke_client
                act(services.ledger, code, target, by=by, now=NOW)
        except (Conflict, Forbidden):
            assert services.ledger.head().size == before  # a refusal writes nothing
            continue
        grown = services.ledger.head().size - before
        exchange = what == "issue" and by.bootstrap
        assert grown in ((2,) if exchange else (0, 1))
    with read_connection(services.engine) as connection:
        rows = connection.execute(select(client_t).where(client_t.c.institution == code)).all()
        bootstraps = 0
        for row in rows:
            try:
                principal = client_principal(row)
            except Unauthenticated:
                continue
            if row.issued_by.startswith("operator"):
                # It works only as a bootstrap key (good for nothing but its exchange) or
                # once the institution's own admin accepted it.
                assert principal.bootstrap or row.accepted_by == f"institution:{code}"
            bootstraps += principal.bootstrap
        assert bootstraps <= 1


def test_an_institution_admin_cannot_issue_for_another_or_for_the_bank(services: Services) -> None:
    a, b = _register(services), _register(services)
    bootstrap, _ = issue_client(services.ledger, a, Role.ADMIN, "first", by=CONSOLE, now=NOW)
    spent = Acting.of(ClientPrincipal(bootstrap.key_id, a, Role.ADMIN, bootstrap=True))
    admin, _ = issue_client(services.ledger, a, Role.ADMIN, "own", by=spent, now=NOW)
    by_admin = Acting.of(ClientPrincipal(admin.key_id, a, Role.ADMIN))
    before = services.ledger.head().size
    for institution in (b, None):
        with pytest.raises(Forbidden):
            issue_client(services.ledger, institution, Role.ADMIN, "x", by=by_admin, now=NOW)
    with pytest.raises(CreditbankError, match="admin role"):
        issue_client(services.ledger, None, Role.POSTER, "x", by=CONSOLE, now=NOW)
    assert services.ledger.head().size == before
