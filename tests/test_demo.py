"""The demonstration data gives a newcomer every role at once, as the README says."""

from __future__ import annotations

from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.demo import DEMO_KEYS, DEMO_PASSWORD, LEARNERS, load_demo
from creditbank.ledger.full_audit import audit_ledger
from creditbank.storage.database import read_connection
from creditbank.wiring import Services


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
