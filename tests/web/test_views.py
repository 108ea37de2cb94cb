"""The pages through the Flask test client: CSRF, headers, access control and the main flows."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text as text_sql

from creditbank.clock import utc_now
from creditbank.demo import DEMO_KEYS, LEARNERS
from creditbank.identity.documents import check_digit
from creditbank.indicators.snapshot import refresh
from creditbank.web.common import CSP
from creditbank.web.views import dashboard
from creditbank.wiring import Services
from tests.web.conftest import csrf_token, learner, post_form, staff


def _text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _size(services: Services) -> int:
    return services.ledger.head().size


def _first_record(client: FlaskClient) -> str:
    found = re.search(r'href="(/portal/records/[0-9a-f-]+)"', _text(client.get("/portal")))
    assert found is not None
    return found.group(1)


# --- CSRF -----------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    app: Flask, demo: Services
) -> None:
    client = learner(app.test_client())
    size = _size(demo)
    response = client.post(
        "/portal/consents",
        data={"institution": "CQ-ZZ-001", "scope": "read", "valid_until": "2027-06-01"},
    )
    assert response.status_code == 400
    assert "CSRF" in _text(response)
    assert _size(demo) == size


def test_a_token_from_another_session_is_refused(app: Flask, demo: Services) -> None:
    other = app.test_client()
    stolen = csrf_token(other)
    client = learner(app.test_client())
    size = _size(demo)
    response = client.post(
        "/portal/consents",
        data={
            "csrf_token": stolen,
            "institution": "CQ-ZZ-001",
            "scope": "read",
            "valid_until": "2027-06-01",
        },
    )
    assert response.status_code == 400
    assert _size(demo) == size


def test_sign_in_itself_needs_the_token(app: Flask, demo: Services) -> None:
    response = app.test_client().post(
        "/signin", data={"form": "staff", "api_key": DEMO_KEYS["operator"][2]}
    )
    assert response.status_code == 400


def test_the_api_is_not_subject_to_form_csrf(client: FlaskClient, demo: Services) -> None:
    response = client.post(
        "/api/v1/sessions",
        json={
            "document": {"kind": "resident_id", "number": LEARNERS[0].document_number},
            "password": "demo-learner-2026",
        },
    )
    assert response.status_code == 201


# --- headers --------------------------------------------------------------------------------


def test_pages_send_security_headers(app: Flask, demo: Services) -> None:
    response = app.test_client().get("/verify")
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert "script-src" not in CSP and "default-src 'none'" in CSP  # no script may run at all
    assert "frame-ancestors 'none'" in CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached_and_the_cookie_is_httponly(
    app: Flask, demo: Services
) -> None:
    client = app.test_client()
    response = post_form(
        client, "/signin", {"form": "staff", "api_key": DEMO_KEYS["cq-gz-poster"][2]}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/institution").headers["Cache-Control"] == "no-store"


def test_pages_reference_no_other_host_and_no_script(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "operator")
    for path in ("/", "/verify", "/dashboard", "/admin", "/signin"):
        page = _text(client.get(path))
        assert "<script" not in page, path
        assert not re.search(r'(src|href)="(https?:)?//', page), path


def test_a_chart_is_an_svg_with_no_script_reference(app: Flask, demo: Services) -> None:
    response = app.test_client().get("/dashboard/charts/kinds.svg")
    assert response.status_code == 404
    response = app.test_client().get("/dashboard/charts/institutions.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    body = _text(response)
    assert "<svg" in body and "http://kozea" not in body and "<script src" not in body


# --- signing in and access ------------------------------------------------------------------


def test_a_wrong_password_is_refused_without_saying_which_part(app: Flask, demo: Services) -> None:
    client = app.test_client()
    response = post_form(
        client,
        "/signin",
        {
            "form": "learner",
            "document_kind": "resident_id",
            "document_number": LEARNERS[0].document_number,
            "password": "wrong",
        },
    )
    assert response.status_code == 401
    assert "证件或密码不正确" in _text(response)
    assert client.get("/portal").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, demo: Services) -> None:
    for path in ("/portal", "/registrar", "/institution", "/admin"):
        response = app.test_client().get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/signin?next=")


def test_sign_in_never_redirects_to_another_site(app: Flask, demo: Services) -> None:
    client = app.test_client()
    response = post_form(
        client,
        "/signin",
        {"form": "staff", "api_key": DEMO_KEYS["cq-gz-poster"][2], "next": "//evil.example/"},
    )
    assert response.headers["Location"] == "/institution"


def test_a_learner_cannot_open_another_learners_record(app: Flask, demo: Services) -> None:
    first = learner(app.test_client(), 0)
    record = _first_record(first)
    assert first.get(record).status_code == 200
    second = learner(app.test_client(), 1)
    response = second.get(record)
    assert response.status_code == 403
    assert LEARNERS[0].name not in _text(response)


def test_a_learner_cannot_use_staff_pages(app: Flask, demo: Services) -> None:
    client = learner(app.test_client())
    for path in ("/registrar", "/institution", "/admin"):
        assert client.get(path).status_code == 403


def test_a_registrar_sees_only_consenting_learners(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-registrar")
    page = _text(client.get("/registrar"))
    assert LEARNERS[0].name in page
    assert LEARNERS[1].name not in page
    ids = re.findall(r"/registrar/learners/([0-9a-f-]+)", page)
    assert len(ids) == 1
    other = learner(app.test_client(), 1)
    other_id = re.search(r"<code>([0-9a-f-]{36})</code>", _text(other.get("/portal")))
    assert other_id is not None
    assert client.get(f"/registrar/learners/{other_id.group(1)}").status_code == 403


def test_a_poster_cannot_evaluate_and_a_registrar_cannot_upload(app: Flask, demo: Services) -> None:
    assert staff(app.test_client(), "cq-gz-poster").get("/registrar").status_code == 403
    assert staff(app.test_client(), "cq-gz-registrar").get("/institution").status_code == 403
    assert staff(app.test_client(), "cq-gz-registrar").get("/admin").status_code == 403


def test_a_revoked_key_ends_its_web_sessions_at_once(app: Flask, demo: Services) -> None:
    poster = staff(app.test_client(), "cq-gz-poster")
    assert poster.get("/institution").status_code == 200
    operator = staff(app.test_client(), "operator")
    key_id = DEMO_KEYS["cq-gz-poster"][2].split("_")[1]
    response = post_form(
        operator, f"/admin/clients/{key_id}/revoke", {"institution": "CQ-GZ-001"}, page="/admin"
    )
    assert response.status_code == 302
    assert poster.get("/institution").status_code == 302


# --- the main flows -------------------------------------------------------------------------


def _resident_id(sequence: str) -> str:
    first17 = "500105" + "20060101" + sequence
    return first17 + check_digit(first17)


HEADER = (
    "document_kind,document_number,name,kind,course_code,title_zh,source_institution,level,"
    "programme,term,hours,credits,grade_scale,grade_value,completed_on"
)


def _row(sequence: str, credits: str) -> str:
    return (
        f"resident_id,{_resident_id(sequence)},赵磊,course,JX2{sequence},液压与气动技术,CQ-GZ-001,"
        f"gaozhi,机电一体化技术,2024-2025-2,48,{credits},percent,81,2025-06-20"
    )


def test_an_upload_reports_bad_rows_before_anything_is_posted(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    text = "\n".join([HEADER, _row("611", "3"), _row("622", "lots")]) + "\n"
    size = _size(demo)
    response = client.post(
        "/institution/upload",
        data={
            "csrf_token": csrf_token(client, "/institution"),
            "file": (io.BytesIO(text.encode()), "records.csv"),
        },
        content_type="multipart/form-data",
    )
    page = _text(response)
    assert response.status_code == 200
    assert _size(demo) == size  # checked, not posted
    problems = re.findall(r'<tr><td class="num">(\d+)</td><td><code>([^<]+)</code>', page)
    assert problems == [("3", "credits")]
    response = post_form(client, "/institution/upload/post", {}, page="/institution")
    assert response.status_code == 302
    assert _size(demo) > size
    index = _text(client.get("/institution"))
    assert "1 bad rows" in index or "有误 1 行" in index


def test_dashboard_figures_follow_the_database(app: Flask, demo: Services) -> None:
    client = app.test_client()

    def figure(name: str) -> int:
        page = _text(client.get("/dashboard"))
        found = re.search(rf'id="fig-{name}">(\d+)<', page)
        assert found is not None
        return int(found.group(1))

    records = figure("records")
    poster = staff(app.test_client(), "cq-gz-poster")
    text = "\n".join([HEADER, _row("633", "2"), _row("644", "2")]) + "\n"
    poster.post(
        "/institution/upload",
        data={
            "csrf_token": csrf_token(poster, "/institution"),
            "file": (io.BytesIO(text.encode()), "more.csv"),
        },
        content_type="multipart/form-data",
    )
    post_form(poster, "/institution/upload/post", {}, page="/institution")
    # The page reads the snapshot; the dashboard job brings it up to date.
    assert figure("records") == records
    refresh(demo.engine, demo.policies, now=utc_now())
    assert figure("records") == records + 2


def test_the_institutions_table_names_the_top_posters_and_sums_the_rest(
    app: Flask, demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh(demo.engine, demo.policies, now=utc_now())
    client = app.test_client()

    def rows() -> list[tuple[str, int]]:
        page = _text(client.get("/dashboard"))
        table = page[page.index('id="table-institutions"') :]
        table = table[: table.index("</table>")]
        cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", table.split("</thead>")[-1])
        return [(name, int(count)) for name, count in zip(cells[::2], cells[1::2], strict=True)]

    every = rows()
    assert len(every) >= 3  # the demo's institutions that posted, each named
    monkeypatch.setattr(dashboard, "TOP_INSTITUTIONS", 1)
    top, others = rows()
    assert top == every[0]
    assert others == (f"其他 {len(every) - 1} 所机构", sum(n for _, n in every[1:]))


def test_the_language_switch_keeps_the_page(app: Flask, demo: Services) -> None:
    client = app.test_client()
    assert "验证成绩单" in _text(client.get("/verify"))
    response = client.get("/lang/en?next=/verify")
    assert response.headers["Location"] == "/verify"
    assert "Verify a transcript" in _text(client.get("/verify"))
    assert '<html lang="en">' in _text(client.get("/verify"))


def test_every_form_control_has_a_label(app: Flask, demo: Services) -> None:
    pages = {
        "learner": (learner(app.test_client()), ["/portal"]),
        "registrar": (staff(app.test_client(), "cq-gz-registrar"), ["/registrar"]),
        "poster": (staff(app.test_client(), "cq-gz-poster"), ["/institution"]),
        "admin": (staff(app.test_client(), "cq-gz-admin"), ["/institution/keys"]),
        "operator": (staff(app.test_client(), "operator"), ["/admin"]),
        "anyone": (app.test_client(), ["/signin", "/verify"]),
    }
    for client, paths in pages.values():
        for path in paths:
            page = _text(client.get(path))
            labelled = set(re.findall(r'<label\b[^>]*\bfor="([^"]+)"', page))
            for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
                if 'type="hidden"' in control:
                    continue
                found = re.search(r'id="([^"]+)"', control)
                assert found is not None and found.group(1) in labelled, (path, control)
            for button in re.findall(r"<button\b[^>]*>\s*([^<]*)</button>", page):
                assert button.strip(), (path, "a button without text")


# --- recognised transfers -------------------------------------------------------------------


def test_a_learner_sees_transfers_and_puts_one_alone_on_a_transcript(
    app: Flask, demo: Services
) -> None:
    client = learner(app.test_client())
    page = _text(client.get("/portal"))
    table = page[
        page.index('id="transfer-list"') : page.index("</table>", page.index("transfer-list"))
    ]
    assert "GZ-SJ301 工业机器人综合实训" in table and "工业机器人技术 · 3+2" in table
    chosen = re.findall(r'id="tr-([0-9a-f-]+)" name="records" value="\1"', page)
    assert len(chosen) == 4  # the demo's 3+2 evaluation: four transfers (see README)
    size = _size(demo)
    answer = post_form(
        client,
        "/portal/transcripts",
        {"records": chosen[0], "language": "zh", "validity_days": "60"},
        page="/portal",
    )
    assert answer.status_code == 302  # type: ignore[attr-defined]
    assert _size(demo) == size + 1  # the transcript.issued entry
    listed = re.search(
        r'href="(/portal/transcripts/[0-9a-f-]+\.json)"', _text(client.get("/portal"))
    )
    assert listed is not None
    credential = client.get(listed.group(1)).get_json()
    nested = credential["credentialSubject"]["verifiableCredential"]
    assert [n["credentialSubject"]["recordKind"] for n in nested] == ["transfer"]
    report = client.post("/api/v1/verify", json=credential).get_json()
    assert report["valid"] is True, report


def test_an_upload_under_preview_is_kept_sealed(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    name, number = "欧阳秘密", _resident_id("655")
    row = _row("655", "2").replace("赵磊", name)
    text = "\n".join([HEADER, row]) + "\n"
    response = client.post(
        "/institution/upload",
        data={
            "csrf_token": csrf_token(client, "/institution"),
            "file": (io.BytesIO(text.encode()), "欧阳秘密.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    database = Path(demo.settings.instance_path) / "creditbank.sqlite3"
    for path in (database, database.with_name(database.name + "-wal")):
        stored = path.read_bytes()
        for secret in (name, number, "欧阳"):
            assert secret.encode() not in stored, f"{secret} is readable in {path.name}"
    with demo.engine.connect() as connection:
        data = connection.execute(text_sql("SELECT data FROM web_session")).scalars().all()
    assert data and all(name not in row and number not in row for row in data)
    # The sealed file still posts.
    size = _size(demo)
    assert post_form(client, "/institution/upload/post", {}, page="/institution").status_code == 302
    assert _size(demo) == size + 2  # the new account and its record
