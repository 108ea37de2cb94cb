"""Server-side sessions: an id in the cookie, data in the database, expiry and sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from creditbank.auth.tables import WebSession
from creditbank.clock import utc_now
from creditbank.learners.tables import LearnerToken
from creditbank.web import sessions
from creditbank.wiring import Services
from tests.web.conftest import csrf_token, learner, post_form, staff

session_t = WebSession.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]


def _rows(services: Services) -> list[dict[str, object]]:
    with services.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(session_t))]


def _cookie(client: object) -> str | None:
    cookie = client.get_cookie(sessions.COOKIE)  # type: ignore[attr-defined]
    return None if cookie is None else str(cookie.value)


def test_the_cookie_holds_a_random_id_and_the_database_only_its_hash(
    app: Flask, demo: Services, engine_name: str
) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    session_id = _cookie(client)
    assert session_id is not None and len(session_id) >= 40
    rows = _rows(demo)
    assert len(rows) == 1
    assert rows[0]["id_hash"] == sessions._hash(session_id)
    assert session_id not in str(rows[0]["data"])
    assert "cbk_" not in str(rows[0]["data"])  # the pasted API key is never kept


def test_signing_in_gives_a_new_session_id(app: Flask, demo: Services) -> None:
    client = app.test_client()
    client.get("/signin")  # the form's CSRF token: an anonymous session, in a signed cookie
    assert _cookie(client) is None and _rows(demo) == []
    planted = "planted-by-someone-else-" + "x" * 20
    client.set_cookie(sessions.COOKIE, planted)
    staff(client, "cq-gz-poster")
    after = _cookie(client)
    assert after is not None and after != planted
    assert [row["id_hash"] for row in _rows(demo)] == [sessions._hash(after)]
    assert client.get_cookie(sessions.ANONYMOUS_COOKIE) is None  # replaced by the row


def test_an_idle_session_expires(
    app: Flask, demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    assert client.get("/institution").status_code == 200
    later = utc_now() + sessions.IDLE + timedelta(seconds=1)
    monkeypatch.setattr(sessions, "utc_now", lambda: later)
    response = client.get("/institution")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_a_busy_session_still_ends_after_the_absolute_limit(
    app: Flask, demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    start = utc_now()
    moment = start
    while moment < start + sessions.ABSOLUTE - sessions.IDLE:
        moment += sessions.IDLE - timedelta(minutes=1)
        monkeypatch.setattr(sessions, "utc_now", lambda at=moment: at)
        assert client.get("/institution").status_code == 200
    monkeypatch.setattr(
        sessions, "utc_now", lambda: start + sessions.ABSOLUTE + timedelta(seconds=1)
    )
    assert client.get("/institution").status_code == 302


def test_signing_out_deletes_the_session_and_the_learners_token(app: Flask, demo: Services) -> None:
    client = learner(app.test_client())
    assert client.get("/portal").status_code == 200
    old = _cookie(client)
    response = post_form(client, "/signout", {}, page="/portal")
    assert response.status_code == 302
    assert _cookie(client) is None
    assert sessions._hash(str(old)) not in {row["id_hash"] for row in _rows(demo)}
    with demo.engine.connect() as connection:
        live = connection.execute(
            select(func.count()).select_from(token_t).where(token_t.c.revoked_at.is_(None))
        ).scalar_one()
    assert live == 0
    # The old cookie is worthless even if someone kept it.
    client.set_cookie(sessions.COOKIE, str(old))
    assert client.get("/portal").status_code == 302


def test_anonymous_pages_without_forms_write_no_session(app: Flask, demo: Services) -> None:
    client = app.test_client()
    assert client.get("/dashboard").status_code == 200
    assert _cookie(client) is None
    assert _rows(demo) == []


def test_anonymous_forms_write_no_session(app: Flask, demo: Services) -> None:
    client = app.test_client()
    for page in ("/signin", "/verify", "/dashboard", "/"):
        assert client.get(page).status_code == 200
    anonymous = client.get_cookie(sessions.ANONYMOUS_COOKIE)
    assert anonymous is not None
    # A form post with the cookie's CSRF token is accepted, and still writes no row.
    answer = post_form(client, "/verify", {"code": "ABCD-EFGH-JKMN"}, page="/verify")
    assert answer.status_code in {200, 302, 303, 404}  # a typed code lands on /verify/<code>
    wrong = post_form(client, "/signin", {"form": "staff", "api_key": "cbk_x"})
    assert wrong.status_code in {400, 401}
    assert _cookie(client) is None and _rows(demo) == []
    # A tampered cookie is not trusted: its CSRF token is gone, the form is refused.
    client.set_cookie(sessions.ANONYMOUS_COOKIE, anonymous.value[:-2] + "xx")
    token = csrf_token(app.test_client(), "/signin")
    refused = client.post("/signin", data={"csrf_token": token, "form": "staff", "api_key": "x"})
    assert refused.status_code == 400
