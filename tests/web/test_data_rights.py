"""The "Your data" pages: the readable summary, the copy, who looked, corrections round trip."""

from __future__ import annotations

import io
import json
import re
import zipfile

from flask import Flask
from flask.testing import FlaskClient

from creditbank.demo import DEMO_KEYS, LEARNERS
from creditbank.records.service import read_record
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.web.conftest import learner, post_form, staff


def _text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _account_id(client: FlaskClient) -> str:
    found = re.search(r"<code>([0-9a-f-]{36})</code>", _text(client.get("/portal")))
    assert found is not None
    return found.group(1)


def _table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def _poster_of(institution: str) -> str:
    return next(
        label
        for label, (code, role, _) in DEMO_KEYS.items()
        if code == institution and role.value == "poster"
    )


def _labelled(page: str) -> None:
    labelled = set(re.findall(r'<label\b[^>]*\bfor="([^"]+)"', page))
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if 'type="hidden"' in control:
            continue
        found = re.search(r'id="([^"]+)"', control)
        assert found is not None and found.group(1) in labelled, control


def test_the_summary_shows_who_looked_and_the_copy_downloads(app: Flask, demo: Services) -> None:
    client = learner(app.test_client())
    learner_id = _account_id(client)
    page = _text(client.get("/portal/data"))
    assert LEARNERS[0].name in page and LEARNERS[0].document_number in page
    assert "No institution has looked" in page or "还没有机构查看过" in page

    registrar = staff(app.test_client(), "cq-gz-registrar")  # the demo learner consented to it
    assert registrar.get(f"/registrar/learners/{learner_id}").status_code == 200
    looked = _table(_text(client.get("/portal/data")), "access-log")
    assert DEMO_KEYS["cq-gz-registrar"][2].split("_")[1] in looked  # the key that read
    assert "成果列表" in looked  # what it read: the list of records

    size = demo.ledger.head().size
    answer = client.get("/portal/data/export.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert demo.ledger.head().size == size + 1
    zipped = zipfile.ZipFile(io.BytesIO(answer.data))
    document = json.loads(zipped.read("data.json"))
    assert document["account"]["name"] == LEARNERS[0].name
    assert document["access_log"][0]["institution"] == "CQ-GZ-001"
    assert "access_log.csv" in zipped.namelist()
    _labelled(page)

    client.get("/lang/en")
    english = _text(client.get("/portal/data"))
    for heading in ("Your data", "A copy of your data", "Who looked at your account"):
        assert f">{heading}</h" in english
    assert "your list of records" in _table(english, "access-log")


def test_a_correction_request_round_trip(app: Flask, demo: Services) -> None:
    client = learner(app.test_client())
    found = re.search(r'href="/portal/records/([0-9a-f-]+)"', _text(client.get("/portal")))
    assert found is not None
    record = found.group(1)
    record_page = _text(client.get(f"/portal/records/{record}"))
    assert 'id="ask-correction"' in record_page
    _labelled(record_page)

    asked = post_form(
        client,
        "/portal/data/corrections",
        {"record": record, "reason": "the credits should be 4"},
        page=f"/portal/records/{record}",
    )
    assert asked.status_code == 302  # type: ignore[attr-defined]
    again = _text(client.get(f"/portal/records/{record}"))
    assert "the credits should be 4" in again and 'id="ask-correction"' not in again

    with read_connection(demo.engine) as connection:
        institution = read_record(connection, record).institution
    poster = staff(app.test_client(), _poster_of(institution))
    workspace = _text(poster.get("/institution"))
    assert "the credits should be 4" in _table(workspace, "correction-requests")
    answer_page = _text(poster.get(f"/institution/records/{record}"))
    action = re.search(
        r'action="(/institution/correction-requests/[0-9a-f-]+/answer)"', answer_page
    )
    assert action is not None
    _labelled(answer_page)
    answered = post_form(
        poster,
        action.group(1),
        {"decision": "declined", "reason": "the register shows 3.5", "outcome": ""},
        page=f"/institution/records/{record}",
    )
    assert answered.status_code == 302, _text(answered)
    assert "the credits should be 4" not in _table(
        _text(poster.get("/institution")), "correction-requests"
    )

    mine = _table(_text(client.get("/portal/data")), "correction-list")
    assert "the register shows 3.5" in mine and ("不予更正" in mine or "declined" in mine)
    notices = _text(client.get("/portal/notices"))
    assert "the register shows 3.5" in notices
