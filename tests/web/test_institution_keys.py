"""The institution admin's key page, and operators' sign-ins on the record."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from creditbank.demo import DEMO_KEYS
from creditbank.identity.principals import Role
from creditbank.institutions.clients import CONSOLE, client_t, issue_client
from creditbank.institutions.service import InstitutionInfo, register_institution
from creditbank.ledger.envelope import Envelope, decode_envelope
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.web.conftest import csrf_token, post_form, staff

CQ_GZ = "CQ-GZ-001"


def _text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _since(services: Services, start: int) -> list[Envelope]:
    size = services.ledger.head().size
    return [decode_envelope(data) for _, data in services.ledger.entries(start, size)]


def _helpdesk_key(services: Services) -> str:
    """The registrar key the demo's operator issued for 重庆工程职业技术学院 (pending)."""
    with read_connection(services.engine) as connection:
        key_id = connection.execute(
            select(client_t.c.key_id).where(client_t.c.label == "bank helpdesk")
        ).scalar_one()
    return str(key_id)


def test_an_operators_web_sign_in_is_on_the_record(app: Flask, demo: Services) -> None:
    start = demo.ledger.head().size
    staff(app.test_client(), "operator")
    [entry] = _since(demo, start)
    operator_key = DEMO_KEYS["operator"][2].split("_")[1]
    assert (entry.kind, entry.actor) == ("operator.signed_in", f"operator:{operator_key}")
    # An institution's staff signing in writes nothing.
    staff(app.test_client(), "cq-gz-admin")
    assert demo.ledger.head().size == start + 1


def test_the_admin_sees_every_key_and_accepts_the_operators(app: Flask, demo: Services) -> None:
    admin = staff(app.test_client(), "cq-gz-admin")
    page = _text(admin.get("/institution/keys"))
    key_id = _helpdesk_key(demo)
    row = re.search(rf'<tr id="key-{key_id}">.*?</tr>', page, re.S)
    assert row is not None
    assert "待机构确认" in row.group(0) and "银行运营人员" in row.group(0)
    own = DEMO_KEYS["cq-gz-poster"][2].split("_")[1]
    own_row = re.search(rf'<tr id="key-{own}">.*?</tr>', page, re.S)
    assert own_row is not None and "机构管理员" in own_row.group(0)

    # Neither the operator nor the institution's registrar may accept it.
    operator = staff(app.test_client(), "operator")
    start = demo.ledger.head().size
    for who in (operator, staff(app.test_client(), "cq-gz-registrar")):
        refused = who.post(
            f"/institution/keys/{key_id}/accept", data={"csrf_token": csrf_token(who, "/")}
        )
        assert refused.status_code == 403
    assert demo.ledger.head().size == start

    accepted = post_form(admin, f"/institution/keys/{key_id}/accept", {}, page="/institution/keys")
    assert accepted.status_code == 302
    [entry] = _since(demo, start)
    assert (entry.kind, entry.actor) == ("client.accepted", f"institution:{CQ_GZ}")
    row = re.search(rf'<tr id="key-{key_id}">.*?</tr>', _text(admin.get("/institution/keys")), re.S)
    assert row is not None and "有效" in row.group(0)


def test_staff_who_are_not_the_admin_cannot_open_the_key_page(app: Flask, demo: Services) -> None:
    for label in ("cq-gz-poster", "cq-gz-registrar", "operator"):
        assert staff(app.test_client(), label).get("/institution/keys").status_code == 403


def test_a_bootstrap_key_signs_in_only_to_its_exchange(app: Flask, demo: Services) -> None:
    now = datetime.now(UTC)
    info = InstitutionInfo(
        "CQ-ZZ-900", "重庆市某职教中心", "A school", "zhongzhi_school", "zhongzhi", "重庆"
    )
    register_institution(demo.ledger, info, actor=CONSOLE.actor, now=now)
    _, bootstrap = issue_client(demo.ledger, info.code, Role.ADMIN, "first", by=CONSOLE, now=now)
    client = app.test_client()
    signed = post_form(client, "/signin", {"form": "staff", "api_key": bootstrap.text})
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/institution/keys")
    assert client.get("/institution").status_code == 403
    assert client.get("/registrar").status_code == 403
    page = _text(client.get("/institution/keys"))
    assert 'id="keys"' not in page and "bootstrap" in page.lower()
    start = demo.ledger.head().size
    poster = post_form(
        client, "/institution/keys", {"role": "poster", "label": "p"}, page="/institution/keys"
    )
    assert poster.status_code == 403 and demo.ledger.head().size == start

    exchanged = post_form(
        client, "/institution/keys", {"role": "admin", "label": "教务处"}, page="/institution/keys"
    )
    assert exchanged.status_code == 200
    secret = re.search(r'id="issued-secret">([^<]+)<', _text(exchanged))
    assert secret is not None
    assert [(e.kind, e.actor) for e in _since(demo, start)] == [
        ("client.issued", "institution:CQ-ZZ-900"),
        ("client.revoked", "institution:CQ-ZZ-900"),
    ]
    # The bootstrap key's session is over; the new admin key works.
    assert client.get("/institution/keys").status_code == 302
    answer = app.test_client().get(
        "/api/v1/institutions/CQ-ZZ-900/clients",
        headers={"Authorization": f"Bearer {secret.group(1)}"},
    )
    assert answer.status_code == 200


def test_a_key_the_operator_issues_on_the_admin_page_is_pending(app: Flask, demo: Services) -> None:
    operator = staff(app.test_client(), "operator")
    start = demo.ledger.head().size
    page = post_form(
        operator,
        "/admin/clients",
        {"institution": CQ_GZ, "role": "registrar", "label": "夜班"},
        page="/admin",
    )
    assert page.status_code == 200
    text = _text(page)
    assert "确认之前不能使用" in text
    secret = re.search(r'id="issued-secret">([^<]+)<', text)
    assert secret is not None
    operator_key = DEMO_KEYS["operator"][2].split("_")[1]
    [entry] = _since(demo, start)
    assert (entry.kind, entry.actor) == ("client.issued", f"operator:{operator_key}")
    refused = app.test_client().get(
        "/api/v1/consents", headers={"Authorization": f"Bearer {secret.group(1)}"}
    )
    assert refused.status_code == 401
    assert demo.ledger.head().size == start + 1
