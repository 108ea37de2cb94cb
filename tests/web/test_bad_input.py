"""Bad input on the pages: a clear 400 (or a verdict), never a 500, and nothing written."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditbank.wiring import Services
from tests.web.conftest import csrf_token, learner, post_form, staff
from tests.web.test_verify import _credential, _send
from tests.web.test_views import HEADER, _row


def _size(services: Services) -> int:
    return services.ledger.head().size


def _paste(app: Flask, text: str) -> Any:
    client = app.test_client()
    return post_form(client, "/verify", {"transcript": text}, page="/verify")


def test_the_verify_page_reads_with_the_strict_reader(app: Flask, demo: Services) -> None:
    credential = _credential(demo).credential
    genuine = json.dumps(credential, ensure_ascii=False)
    forged = dict(credential["credentialSubject"], name="Mallory")
    duplicated = '{"credentialSubject": ' + json.dumps(forged) + ", " + genuine[1:]
    for sent in (_paste(app, duplicated), _send(app, duplicated.encode("utf-8"))):
        assert sent.status_code == 400  # type: ignore[attr-defined]
        page = sent.get_data(as_text=True)  # type: ignore[attr-defined]
        assert "duplicate key &#39;credentialSubject&#39; at $.credentialSubject" in page
    for hazard in ("[" * 1000 + "]" * 1000, "[" + "9" * 5000 + "]", '["\\ud800"]'):
        assert _paste(app, hazard).status_code == 400  # type: ignore[attr-defined]
    assert _send(app, b'{"a": "\xff"}').status_code == 400


@pytest.mark.parametrize("index", ["²", "9" * 5000])
def test_a_bad_status_index_is_a_red_verdict(app: Flask, demo: Services, index: str) -> None:
    credential = _credential(demo).credential
    credential["credentialStatus"]["statusListIndex"] = index
    response = _send(app, json.dumps(credential).encode("utf-8"))
    assert response.status_code == 200
    assert 'class="card bad"' in response.get_data(as_text=True)


def _upload(client: FlaskClient, text: str) -> Any:
    return client.post(
        "/institution/upload",
        data={
            "csrf_token": csrf_token(client, "/institution"),
            "file": (io.BytesIO(text.encode("utf-8")), "records.csv"),
        },
        content_type="multipart/form-data",
    )


def test_a_csv_field_over_the_limit_is_a_clear_400(
    engine_name: str, app: Flask, demo: Services
) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    size = _size(demo)
    huge = _row("655", "3").replace("液压与气动技术", '"' + "液" * 140_000 + '"')
    response = _upload(client, "\n".join([HEADER, huge]) + "\n")
    assert response.status_code == 400
    assert "cannot be read as CSV" in response.get_data(as_text=True)
    assert _size(demo) == size


def test_csv_names_and_numbers_follow_the_policies(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    size = _size(demo)
    bidi = _row("666", "3").replace("赵磊", "赵\u202e磊")
    digits = _row("677", "3").replace(",48,", ",²,")
    many = _row("688", "3").replace(",48,", "," + "4" * 5000 + ",")
    response = _upload(client, "\n".join([HEADER, bidi, digits, many]) + "\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "bidirectional" in page
    assert page.count("<code>hours</code>") == 2
    assert _size(demo) == size


def test_form_text_follows_the_text_policy(app: Flask, demo: Services) -> None:
    size = _size(demo)
    client = learner(app.test_client())
    page = client.get("/portal").get_data(as_text=True)
    issued = post_form(
        client,
        "/portal/transcripts",
        {"language": "zh", "validity_days": "٦٠"},  # Arabic-Indic digits: refused
        page="/portal",
    )
    assert issued.status_code == 400  # type: ignore[attr-defined]
    assert page and _size(demo) == size
    operator = staff(app.test_client(), "operator")
    size = _size(demo)  # an operator's sign-in is itself on the record
    for label in ("poster\x00", "poster\u2066x", " "):
        answer = post_form(
            operator,
            "/admin/clients",
            {"institution": "CQ-GZ-001", "role": "poster", "label": label},
            page="/admin",
        )
        assert answer.status_code == 400  # type: ignore[attr-defined]
    assert _size(demo) == size
