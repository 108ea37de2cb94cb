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
