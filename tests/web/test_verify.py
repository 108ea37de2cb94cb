"""The public verification page through the test client."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask

from creditbank.clock import utc_now
from creditbank.demo import LEARNERS
from creditbank.learners.tables import Learner
from creditbank.storage.database import read_connection
from creditbank.transcripts.issued import revoke_transcript, transcript_t
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.view import view_from_credential
from creditbank.wiring import Services
from tests.web.conftest import csrf_token


def _credential(services: Services) -> Any:
    table = Learner.__table__  # type: ignore[attr-defined]
    with read_connection(services.engine) as connection:
        ids = [row.id for row in connection.execute(table.select())]
    assert len(ids) == len(LEARNERS)
    return issue_transcript(
        services.ledger,
        services.sealer,
        services.issuer_identity(),
        ids[0],
        witness_keys=services.settings.witness_keys,
        record_ids=None,
        language="zh",
        validity_days=60,
        now=utc_now(),
    )


def _send(app: Flask, body: bytes) -> Any:
    client = app.test_client()
    return client.post(
        "/verify",
        data={"csrf_token": csrf_token(client, "/verify"), "file": (io.BytesIO(body), "t.json")},
        content_type="multipart/form-data",
    )


def test_a_genuine_transcript_is_green_and_an_altered_one_red(app: Flask, demo: Services) -> None:
    issued = _credential(demo)
    good = _send(app, json.dumps(issued.credential).encode())
    assert good.status_code == 200
    page = good.get_data(as_text=True)
    assert 'class="card good"' in page
    # The demo's first learner has recognised transfers: their credits are shown apart.
    view = view_from_credential(issued.credential)
    assert view.has_transfers
    assert f'id="verified-credits">{view.total_credits}<' in page
    assert f'id="verified-recognised">{view.total_recognised}<' in page
    altered = json.loads(json.dumps(issued.credential))
    altered["validUntil"] = "2099-12-31T00:00:00Z"
    bad = _send(app, json.dumps(altered).encode()).get_data(as_text=True)
    assert 'class="card bad"' in bad and "成绩单签名" in bad


def test_the_qr_link_verifies_by_code_and_an_unknown_code_is_404(
    app: Flask, demo: Services
) -> None:
    issued = _credential(demo)
    page = app.test_client().get(f"/verify/{issued.code}")
    assert page.status_code == 200 and "验证通过" in page.get_data(as_text=True)
    assert app.test_client().get("/verify/NOSUCHCODE0000").status_code == 404


def test_a_file_that_is_not_json_is_a_clear_400(app: Flask, demo: Services) -> None:
    response = _send(app, b"not json at all")
    assert response.status_code == 400
    assert "JSON" in response.get_data(as_text=True)


def _revoked(services: Services) -> Any:
    issued = _credential(services)
    revoke_transcript(
        services.ledger,
        services.issuer_identity(),
        issued.id,
        _learner_of(services, issued.id),
        reason="私人原因",
        now=utc_now(),
    )
    return issued


def _learner_of(services: Services, transcript_id: str) -> str:
    with read_connection(services.engine) as connection:
        row = connection.execute(
            transcript_t.select().where(transcript_t.c.id == transcript_id)
        ).first()
    assert row is not None
    return str(row.learner)


def test_a_code_lands_on_its_own_address(app: Flask, demo: Services) -> None:
    issued = _credential(demo)
    client = app.test_client()
    posted = client.post(
        "/verify", data={"csrf_token": csrf_token(client, "/verify"), "code": issued.code.lower()}
    )
    assert posted.status_code == 303 and posted.headers["Location"] == f"/verify/{issued.code}"
    typed = f"{issued.code[:4]}-{issued.code[4:8]} {issued.code[8:]}".lower()
    got = client.get("/verify", query_string={"code": typed})
    assert got.status_code == 303 and got.headers["Location"] == f"/verify/{issued.code}"
    page = client.get(got.headers["Location"]).get_data(as_text=True)
    assert 'data-verdict="valid"' in page and 'id="records-h"' in page
    assert client.get("/verify", query_string={"code": "<script>"}).status_code == 400


def test_a_revoked_transcript_by_code_shows_the_verdict_and_facts_not_grades(
    app: Flask, demo: Services
) -> None:
    issued = _revoked(demo)
    view = view_from_credential(issued.credential)
    page = app.test_client().get(f"/verify/{issued.code}").get_data(as_text=True)
    assert 'data-verdict="revoked"' in page and "验证未通过：已撤销" in page
    assert 'id="revoked-at"' in page and "(UTC+8)" in page
    assert "学习者本人撤回" in page and "私人原因" not in page
    assert 'id="no-grades"' in page and 'id="records-h"' not in page
    assert view.learner_name not in page
    assert all(line.name_zh not in page for line in view.records)


def test_a_failed_verification_leads_with_the_verdict_and_marks_the_claims(
    app: Flask, demo: Services
) -> None:
    issued = _credential(demo)
    altered = json.loads(json.dumps(issued.credential))
    altered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["term"] = "2099"
    page = _send(app, json.dumps(altered).encode()).get_data(as_text=True)
    assert 'data-verdict="altered"' in page and "验证未通过：内容已被篡改" in page
    verdict_card = page[page.index('id="verdict"') : page.index('id="checks-h"')]
    name = view_from_credential(issued.credential).learner_name
    assert name not in verdict_card  # never headlined
    assert 'id="verdict-check">记录内容<' in verdict_card
    assert altered["credentialSubject"]["verifiableCredential"][0]["id"] in verdict_card
    claimed = page[page.index('id="claimed"') :]
    assert "声称的内容（未经验证）" in claimed and name in claimed


def test_each_check_says_what_was_compared_in_the_pages_language(
    app: Flask, demo: Services
) -> None:
    issued = _credential(demo)
    client = app.test_client()
    zh = client.get(f"/verify/{issued.code}").get_data(as_text=True)
    assert "与账本中承诺的记录逐项比较。结果一致。" in zh
    client.get("/lang/en?next=/verify")
    en = client.get(f"/verify/{issued.code}").get_data(as_text=True)
    assert "compared each record&#39;s title, result, credits" in en
    assert "They agree." in en and "Valid: the transcript is genuine and in force" in en
