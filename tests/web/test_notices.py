"""Notices in the pages: the learner's list, read marks and e-mail address; an institution's."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from creditbank.institutions.tables import ApiClient
from creditbank.learners.tables import Learner
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.web.conftest import learner, post_form, staff

learner_t = Learner.__table__  # type: ignore[attr-defined]


def _text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def test_a_learner_is_told_of_a_revocation_and_keeps_an_address_sealed(
    engine_name: str, app: Flask, demo: Services
) -> None:
    client = learner(app.test_client())
    post_form(client, "/portal/notices/read", {}, page="/portal/notices")  # the demo's own
    assert 'id="email"' in _text(client.get("/portal/notices"))
    refused = post_form(client, "/portal/email", {"email": "not an address"}, page="/portal")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    saved = post_form(client, "/portal/email", {"email": "li.ming@example.cn"}, page="/portal")
    assert saved.status_code == 302  # type: ignore[attr-defined]
    page = _text(client.get("/portal/notices"))
    assert 'value="li.ming@example.cn"' in page
    with read_connection(demo.engine) as connection:
        sealed = connection.execute(select(learner_t.c.email_sealed)).scalars().all()
    assert any(s for s in sealed) and not any("li.ming" in (s or "") for s in sealed)

    portal = _text(client.get("/portal"))
    chosen = re.findall(r'name="records" value="([0-9a-f-]+)"', portal)
    post_form(
        client,
        "/portal/transcripts",
        {"records": chosen[0], "language": "zh", "validity_days": "60"},
        page="/portal",
    )
    listed = _text(client.get("/portal"))
    transcript = re.search(r"/portal/transcripts/([0-9a-f-]+)/revoke", listed)
    assert transcript is not None
    post_form(
        client,
        f"/portal/transcripts/{transcript.group(1)}/revoke",
        {"reason": "发错了用人单位"},
        page="/portal",
    )
    page = _text(client.get("/portal/notices"))
    assert "成绩单已撤销" in page and "发错了用人单位" in page
    assert 'id="unread">1 条未读' in page
    client.get("/lang/en?next=/portal/notices")
    assert "A transcript was revoked" in _text(client.get("/portal/notices"))
    post_form(client, "/portal/notices/read", {}, page="/portal/notices")
    assert 'id="unread"' not in _text(client.get("/portal/notices"))
    removed = post_form(client, "/portal/email", {"remove": "1"}, page="/portal/notices")
    assert removed.status_code == 302  # type: ignore[attr-defined]
    assert 'value=""' in _text(client.get("/portal/notices"))


def _keys_of(services: Services, institution: str) -> int:
    with read_connection(services.engine) as connection:
        rows = connection.execute(
            select(ApiClient.__table__).where(  # type: ignore[attr-defined]
                ApiClient.__table__.c.institution == institution  # type: ignore[attr-defined]
            )
        )
        return len(rows.all())


def test_an_institution_sees_the_keys_issued_for_it(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-registrar")
    page = _text(client.get("/institution/notices"))
    # One notice for every key issued for the institution, whoever issued it.
    assert page.count("已为本机构签发 API 密钥") == _keys_of(demo, "CQ-GZ-001") >= 3
    assert "cbk_de00000000000003" in page or "de00000000000003" in page
    other = _text(staff(app.test_client(), "bj-pj-poster").get("/institution/notices"))
    assert other.count("已为本机构签发 API 密钥") == _keys_of(demo, "BJ-PJ-001") >= 1
    assert learner(app.test_client()).get("/institution/notices").status_code in (302, 403)
