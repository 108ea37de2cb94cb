"""The demonstration data gives a newcomer every role at once, as the README says."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.demo import (
    DEMO_KEYS,
    DEMO_PASSWORD,
    LEARNERS,
    demo_credentials,
    demo_signins,
    load_demo,
)
from creditbank.evaluations.tables import RecognisedTransfer
from creditbank.ledger.full_audit import audit_ledger
from creditbank.storage.database import read_connection
from creditbank.wiring import Services

transfer_t = RecognisedTransfer.__table__  # type: ignore[attr-defined]


def test_demo_signs_in_every_role_and_covers_every_kind(
    client: FlaskClient, services: Services
) -> None:
    counts = load_demo(services, now=utc_now())
    assert counts is not None and counts["institutions"] == 9 and counts["learners"] == 6
    assert load_demo(services, now=utc_now()) is None
    kinds = {i["kind"] for i in client.get("/api/v1/institutions").get_json()["institutions"]}
    assert len(kinds) == 6

    document = {"kind": "resident_id", "number": LEARNERS[0].document_number}
    token = client.post(
        "/api/v1/sessions", json={"document": document, "password": DEMO_PASSWORD}
    ).get_json()["token"]
    me = client.get("/api/v1/learners/me", headers={"Authorization": f"Bearer {token}"})
    learner_id = me.get_json()["id"]
    records = client.get(
        f"/api/v1/learners/{learner_id}/records", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["records"]
    assert {r["kind"] for r in records} == {"course", "certificate", "training", "award"}
    assert {r["outcome"]["level"] for r in records if r["kind"] == "course"} >= {
        "zhongzhi",
        "gaozhi",
    }

    registrar = DEMO_KEYS["cq-gz-registrar"][2]
    consented = client.get("/api/v1/consents", headers={"Authorization": f"Bearer {registrar}"})
    assert consented.get_json()["learners"] == [learner_id]
    with read_connection(services.engine) as connection:
        report = audit_ledger(
            connection, services.ledger.keyring.verifiers(), services.ledger.origin
        )
    assert report.size == counts["size"]


README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


@pytest.mark.parametrize(
    "now",
    [
        datetime(2027, 1, 10, 9, tzinfo=UTC),  # before the autumn semester's end: a year back
        datetime(2030, 3, 1, 9, tzinfo=UTC),
    ],
    ids=["january", "years-later"],
)
def test_the_demo_recognises_what_the_readme_says_whenever_it_is_loaded(
    services: Services, now: datetime
) -> None:
    counts = load_demo(services, now=now)
    assert counts is not None and counts["transfers"] == 4
    with read_connection(services.engine) as connection:
        codes = connection.execute(
            select(transfer_t.c.course_code).order_by(transfer_t.c.course_code)
        ).scalars()
        assert list(codes) == ["GZ-JD102", "GZ-SJ301", "GZ-SJ302", "GZ-XX900"]
        credits = connection.execute(select(transfer_t.c.credits)).scalars()
        assert sum(Decimal(c) for c in credits) == 13
    assert "recognises 13 credits as four\ntransfers" in README
    for code in ("GZ-JD102", "GZ-SJ301", "GZ-SJ302", "GZ-XX900"):
        assert code in README


def test_the_readme_sign_in_table_is_what_serve_prints() -> None:
    printed = demo_credentials("http://127.0.0.1:8000")
    for signin in demo_signins("http://127.0.0.1:8000"):
        assert signin.url in printed and signin.secret in printed
        page = signin.url.removeprefix("http://127.0.0.1:8000")
        row = next(line for line in README.splitlines() if line.startswith(f"| {signin.who} |"))
        assert f"`{page}`" in row and signin.secret in row, row
    serve = (Path(__file__).resolve().parents[1] / "scripts" / "serve").read_text("utf-8")
    assert 'ensure_venv .venv ""' in serve  # serving installs the runtime dependencies only
    assert 'export CREDITBANK_PUBLIC_URL="${CREDITBANK_PUBLIC_URL:-$base}"' in serve
    assert "demo signins" in serve
    assert '"not available"' not in README
