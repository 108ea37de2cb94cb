"""Expiry sweeps: consents past their end date enter the log once; certificates get flagged."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.learners.service import ConsentScope, grant_consent
from creditbank.ledger.envelope import EntryKind, decode_envelope
from creditbank.ledger.store import read_entries
from creditbank.operations.expiry import (
    consent_expiry_index,
    expire_consents,
    flag_certificates,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World, build_world


def _world(client: FlaskClient, services: Services) -> World:
    return build_world(client, services)


def test_expired_consents_are_recorded_once(
    client: FlaskClient, services: Services, engine_name: str
) -> None:
    world = _world(client, services)
    t0 = utc_now()
    short = grant_consent(
        services.ledger,
        world.learners["li"],
        "CQ-GZ-001",
        ConsentScope.READ,
        t0 + timedelta(hours=1),
        now=t0,
    )
    long = grant_consent(
        services.ledger,
        world.learners["wang"],
        "CQ-GZ-001",
        ConsentScope.READ,
        t0 + timedelta(days=30),
        now=t0,
    )
    assert expire_consents(services.ledger, now=t0 + timedelta(minutes=30)) is None
    size = services.ledger.head().size
    assert expire_consents(services.ledger, now=t0 + timedelta(hours=2)) == "1 consents expired"
    assert services.ledger.head().size == size + 1
    index = consent_expiry_index(services.engine, short.id)
    assert index == size and consent_expiry_index(services.engine, long.id) is None
    with read_connection(services.engine) as connection:
        [(_, data)] = read_entries(connection, index, index + 1)
    envelope = decode_envelope(data)
    assert envelope.kind == EntryKind.CONSENT_EXPIRED and envelope.actor == "bank"
    # A second sweep finds nothing new.
    assert expire_consents(services.ledger, now=t0 + timedelta(hours=3)) is None
    assert services.ledger.head().size == size + 1


def _certificate(expires_on: str) -> dict[str, object]:
    return {
        "kind": "certificate",
        "certificate_type": "one_plus_x",
        "title": "Web 前端开发职业技能等级证书",
        "level": "zhongji",
        "certificate_number": f"WEB-{expires_on}",
        "awarding_organisation": "北京新奥时代科技有限责任公司",
        "issued_on": "2020-06-01",
        "expires_on": expires_on,
    }


def test_expired_certificates_are_flagged_in_the_records_api(
    client: FlaskClient, services: Services
) -> None:
    world = _world(client, services)
    learner = world.learners["li"]
    posted = world.post(
        "/api/v1/records",
        "posterA",
        {
            "records": [
                {"learner_id": learner, **_certificate("2023-06-01")},
                {"learner_id": learner, **_certificate("2099-06-01")},
            ]
        },
        **{"Idempotency-Key": "certs"},
    )
    assert posted.status_code == 201, posted.get_json()
    old, current = (item["id"] for item in posted.get_json()["records"])
    assert world.get(f"/api/v1/records/{old}", "posterA").get_json()["expired"] is False
    assert flag_certificates(services.engine, today=date(2026, 1, 1)) == (
        "1 certificates flagged expired, 0 flags cleared"
    )
    assert flag_certificates(services.engine, today=date(2026, 1, 1)) is None
    assert world.get(f"/api/v1/records/{old}", "posterA").get_json()["expired"] is True
    assert world.get(f"/api/v1/records/{current}", "posterA").get_json()["expired"] is False
    listed = world.get(f"/api/v1/learners/{learner}/records", "li").get_json()["records"]
    assert {r["id"]: r["expired"] for r in listed} == {old: True, current: False}
