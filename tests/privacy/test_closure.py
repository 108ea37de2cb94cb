"""Who may close an account and how, and the retention job."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from creditbank.clock import utc_now
from creditbank.ledger.store import read_entries, read_openings
from creditbank.notices.tables import Notice
from creditbank.privacy.retention import apply_retention
from creditbank.privacy.settings import RetentionKind, parse_retention
from creditbank.storage.database import read_connection, write_transaction
from creditbank.wiring import Services
from tests.api.world import PASSWORD, World
from tests.web.conftest import csrf_token, learner, post_form

notice_t = Notice.__table__  # type: ignore[attr-defined]


@pytest.fixture
def world(base_world: World, engine_name: str) -> World:
    return base_world


def _payloads(services: Services, start: int) -> list[tuple[str, dict[str, object]]]:
    """The kind and (opened) payload of every entry from ``start``."""
    with read_connection(services.engine) as connection:
        size = services.ledger.head().size
        entries = read_entries(connection, start, size)
        openings = read_openings(connection, range(start, size))
    return [
        (json.loads(data)["kind"], json.loads(openings[idx][1]))
        for idx, data in entries
        if idx in openings
    ]


def test_a_registrar_closes_an_account_only_on_a_legal_ground_and_with_standing(
    world: World, services: Services
) -> None:
    li = world.learners["li"]
    # No ground, or the learner's own ground: refused, naming the field.
    for body in ({}, {"ground": "learner_request"}):
        refused = world.post(f"/api/v1/learners/{li}/closure", "registrarA", body)
        assert refused.status_code == 400
        assert refused.get_json()["errors"][0]["field"] == "ground"
    # A poster is not a registrar; B neither opened the account nor holds consent.
    body = {"ground": "purpose_achieved", "note": "毕业离校，学校申请注销"}
    assert world.post(f"/api/v1/learners/{li}/closure", "posterA", body).status_code == 403
    assert world.post(f"/api/v1/learners/{li}/closure", "registrarB", body).status_code == 403
    start = world.size()
    closed = world.post(f"/api/v1/learners/{li}/closure", "registrarA", body)
    assert closed.status_code == 201, closed.get_json()
    answer = closed.get_json()
    assert (answer["ground"], answer["closed_by"]) == ("purpose_achieved", "institution:CQ-GZ-001")
    grace = services.settings.retention.grace
    assert answer["erase_after"][:10] == (utc_now() + grace).date().isoformat()
    # The entry: the account, who, the ground and the date; not the registrar's note.
    [(kind, payload)] = _payloads(services, start)
    assert kind == "learner.closed"
    assert payload == {
        "account": li,
        "closed_by": "institution:CQ-GZ-001",
        "ground": "purpose_achieved",
        "erase_after": answer["erase_after"][:10],
    }
    # The learner's token ended with the closure; closing twice is a conflict.
    assert world.get("/api/v1/learners/me", "li").status_code == 401
    assert world.post(f"/api/v1/learners/{li}/closure", "registrarA", body).status_code == 409
    shown = world.get(f"/api/v1/learners/{li}/closure", "registrarA")
    assert shown.status_code == 200 and shown.get_json()["erased_at"] is None


def test_the_portal_closes_the_account_only_when_confirmed(app: Flask, demo: Services) -> None:
    client: FlaskClient = learner(app.test_client())
    page = client.get("/portal/closure")
    assert page.status_code == 200
    assert "30 天后" in page.get_data(as_text=True)
    unticked = client.post("/portal/closure", data={"csrf_token": csrf_token(client, "/portal")})
    assert unticked.status_code == 400
    assert client.get("/portal").status_code == 200  # still open, still signed in
    closed = post_form(client, "/portal/closure", {"confirm": "yes"}, page="/portal/closure")
    assert closed.status_code == 200
    assert "您的个人数据将于" in closed.get_data(as_text=True)
    assert client.get("/portal").status_code == 302  # signed out
    assert learner_sign_in(app.test_client()).status_code == 401


def learner_sign_in(client: FlaskClient) -> object:
    from creditbank.demo import LEARNERS  # noqa: PLC0415

    return post_form(
        client,
        "/signin",
        {
            "form": "learner",
            "document_kind": "resident_id",
            "document_number": LEARNERS[0].document_number,
            "password": "demo-learner-2026",
        },
    )


def test_retention_periods_are_read_from_configuration() -> None:
    settings = parse_retention("notice=90, closed_account=7")
    assert settings.period(RetentionKind.NOTICE) == timedelta(days=90)
    assert settings.grace == timedelta(days=7)
    assert settings.period(RetentionKind.LEARNER_TOKEN) == timedelta(days=30)  # the default
    for bad in ("notices=3", "notice=-1", "notice=1.5"):
        with pytest.raises(Exception, match="CREDITBANK_RETENTION"):
            parse_retention(bad)


def test_the_retention_job_deletes_what_is_past_its_period_and_logs_counts_only(
    world: World, services: Services
) -> None:
    now = utc_now()
    old = now - timedelta(days=400)
    with write_transaction(services.engine) as connection:
        connection.execute(
            insert(notice_t),
            [
                {
                    "id": f"00000000-0000-0000-0000-00000000000{n}",
                    "recipient_kind": "learner",
                    "recipient": world.learners["li"],
                    "kind": "transcript_revoked",
                    "params": json.dumps({"transcript": "t", "reason": "私人原因"}),
                    "event_key": f"retention-test-{n}",
                    "created_at": old if n < 3 else now,
                    "read_at": None,
                }
                for n in range(4)
            ],
        )
    start = world.size()
    done = apply_retention(services.ledger, services.settings.retention, now=now)
    assert done is not None and "3 notice" in done, done
    with read_connection(services.engine) as connection:
        left = connection.execute(
            select(notice_t.c.event_key).where(notice_t.c.event_key.like("retention-test-%"))
        ).scalars()
        assert list(left) == ["retention-test-3"]
    entries = _payloads(services, start)
    logged = [payload for kind, payload in entries if kind == "retention.applied"]
    assert {key: logged[0][key] for key in ("kind", "count", "days")} == {
        "kind": "notice",
        "count": 3,
        "days": 365,
    }
    text = json.dumps(logged, ensure_ascii=False)
    assert world.learners["li"] not in text and "私人原因" not in text
    # Nothing more to delete: no entry.
    size = world.size()
    assert apply_retention(services.ledger, services.settings.retention, now=now) is None
    assert world.size() == size


def test_accounts_never_activated_are_closed_by_the_retention_rule(
    world: World, services: Services
) -> None:
    from tests.api.world import resident_id  # noqa: PLC0415

    document = {"kind": "resident_id", "number": resident_id(sequence="912")}
    opened = world.post("/api/v1/learners", "posterA", {"name": "赵未启", "document": document})
    assert opened.status_code == 201
    idle = opened.get_json()["id"]
    later = utc_now() + timedelta(days=3 * 365 + 1)
    done = apply_retention(services.ledger, services.settings.retention, now=later)
    assert done is not None and "1 unactivated_account closed" in done, done
    shown = world.get(f"/api/v1/learners/{idle}/closure", "registrarA")
    assert shown.get_json()["ground"] == "retention_expired"
    assert PASSWORD  # the activated learners were left alone
    for name in ("li", "wang"):
        assert world.get(
            f"/api/v1/learners/{world.learners[name]}/closure", "registrarA"
        ).status_code in (403, 404)
