"""Identity through the HTTP API: taking someone's ID number gets a stranger nothing.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank.clock import utc_now
from creditbank.learners.tables import Learner
from creditbank.ledger.store import read_openings
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import PASSWORD, World, bearer, build_world, course, resident_id

learner_t = Learner.__table__  # type: ignore[attr-defined]

VICTIM = resident_id(birth="20060101", sequence="777")
STRANGER_PASSWORD = "stolen-identity-1"
PASSPORT = {"kind": "passport", "number": "E12345678", "country": "CHN"}


@pytest.fixture(autouse=True)
def _both_engines(engine_name: str) -> None:
    """Every test here runs on SQLite and on PostgreSQL."""


@pytest.fixture
def world(client: FlaskClient, services: Services) -> World:
    return build_world(client, services)


def _document(number: str = VICTIM) -> dict[str, str]:
    return {"kind": "resident_id", "number": number}


def _register(world: World, number: str, name: str, password: str = STRANGER_PASSWORD) -> Any:
    return world.post(
        "/api/v1/learners",
        None,
        {"name": name, "document": _document(number), "password": password},
    )


def _sign_in(world: World, document: dict[str, str], password: str) -> Any:
    return world.post("/api/v1/sessions", None, {"document": document, "password": password})


def _post(world: World, learner_id: str, key: str, **overrides: Any) -> Any:
    return world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": learner_id, **course(**overrides)}]},
        **{"Idempotency-Key": key},
    )


def _learner_rows(world: World) -> int:
    with read_connection(world.services.engine) as connection:
        return int(connection.execute(select(func.count()).select_from(learner_t)).scalar_one())


def test_a_stranger_who_registers_someones_id_first_gets_none_of_their_records(
    world: World,
) -> None:
    # The attack: a stranger registers the victim's ID number with a name they choose.
    assert _register(world, VICTIM, "冒名者").status_code == 202
    stranger = _sign_in(world, _document(), STRANGER_PASSWORD)
    assert stranger.status_code == 201
    stranger_id, stranger_token = stranger.get_json()["learner_id"], stranger.get_json()["token"]
    me = world.client.get("/api/v1/learners/me", headers=bearer(stranger_token)).get_json()
    assert me["assurance"] == "self_asserted"
    assert me["bound_by"] is None

    # An institution cannot post to the unverified claim, even knowing its id; nothing written.
    size = world.size()
    refused = _post(world, stranger_id, "attack-1")
    assert refused.status_code == 400
    [problem] = refused.get_json()["errors"]
    assert problem["field"] == "learner_id"
    assert "institution-verified" in problem["reason"]
    assert world.size() == size

    # The school opens the account for the real person: a new verified account, never the claim.
    opened = world.post(
        "/api/v1/learners", "posterA", {"name": "张伟", "document": _document()}
    ).get_json()
    assert opened["created"] is True
    assert opened["id"] != stranger_id
    posted = _post(world, opened["id"], "real-1")
    assert posted.status_code == 201, posted.get_json()

    # The stranger's sign-in ended; signing in again says the claim was set aside.
    ended = world.client.get("/api/v1/learners/me", headers=bearer(stranger_token))
    assert ended.status_code == 401
    told = _sign_in(world, _document(), STRANGER_PASSWORD)
    assert told.status_code == 401
    assert told.get_json()["type"] == "urn:creditbank:problem:claim-set-aside"
    assert "set aside" in told.get_json()["detail"]
    wrong = _sign_in(world, _document(), "not-the-password-9")
    assert wrong.get_json()["type"] == "urn:creditbank:problem:unauthenticated"
    for path in (f"/api/v1/learners/{opened['id']}/records", "/api/v1/transcripts"):
        assert world.client.get(path, headers=bearer(stranger_token)).status_code == 401
    assert (
        world.client.post(
            "/api/v1/transcripts", json={"validity_days": 60}, headers=bearer(stranger_token)
        ).status_code
        == 401
    )

    # The real person proves control with the activation code the school handed over.
    activated = world.post(
        "/api/v1/learners/activate",
        None,
        {
            "document": _document(),
            "activation_code": opened["activation_code"],
            "password": PASSWORD,
        },
    )
    assert activated.status_code == 200
    real = _sign_in(world, _document(), PASSWORD).get_json()
    assert real["learner_id"] == opened["id"]
    me = world.client.get("/api/v1/learners/me", headers=bearer(real["token"])).get_json()
    assert (me["assurance"], me["bound_by"], me["name"]) == (
        "institution_verified",
        "CQ-GZ-001",
        "张伟",
    )
    records = world.client.get(
        f"/api/v1/learners/{opened['id']}/records", headers=bearer(real["token"])
    ).get_json()["records"]
    assert len(records) == 1


def test_the_set_aside_entry_holds_no_personal_data(world: World) -> None:
    _register(world, VICTIM, "冒名者")
    start = world.size()
    world.post("/api/v1/learners", "posterA", {"name": "张伟", "document": _document()})
    with read_connection(world.services.engine) as connection:
        # Opened with the learners' keys: what the payloads hold, sealed or not.
        openings = read_openings(connection, range(start, world.size()))
    text = b"".join(bytes(payload) for _, payload in openings.values()).decode("utf-8")
    assert '"by":"CQ-GZ-001"' in text
    for personal in ("冒名者", "张伟", VICTIM, VICTIM[-4:]):
        assert personal not in text


def test_anonymous_registration_answers_alike_whether_or_not_the_id_is_known(
    world: World,
) -> None:
    known = world.documents["li"]  # opened and verified by an institution
    fresh = resident_id(birth="20070707", sequence="555")
    answers = []
    for number in (fresh, known, fresh):  # new, verified account, earlier claim
        size, rows = world.size(), _learner_rows(world)
        answer = _register(world, number, "某人")
        answers.append((answer.status_code, answer.get_json()))
        assert world.size() == size  # nothing logged either way: an unconfirmed claim
        assert _learner_rows(world) - rows == (1 if len(answers) == 1 else 0)
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202
    assert "id" not in answers[0][1]
    # The later registration did not replace the first claim's password.
    assert _sign_in(world, _document(fresh), STRANGER_PASSWORD).status_code == 201


def test_an_institution_confirming_an_account_must_give_its_name(world: World) -> None:
    number = world.documents["li"]
    size = world.size()
    wrong = world.post(
        "/api/v1/learners", "posterB", {"name": "王五", "document": _document(number)}
    )
    assert wrong.status_code == 409
    body = wrong.get_json()
    assert body["type"] == "urn:creditbank:problem:name-mismatch"
    assert "李明" not in json.dumps(body, ensure_ascii=False)
    bulk = world.post(
        "/api/v1/learners/bulk",
        "posterB",
        {
            "learners": [
                {"name": "新生", "document": _document(resident_id(sequence="888"))},
                {"name": "王五", "document": _document(number)},
            ]
        },
    )
    assert bulk.status_code == 409
    assert [e["index"] for e in bulk.get_json()["errors"]] == [1]
    assert world.size() == size  # nothing opened, not even the first person
    same = world.post(
        "/api/v1/learners", "posterB", {"name": " 李 明 ", "document": _document(number)}
    )
    assert same.status_code == 200
    assert same.get_json()["id"] == world.learners["li"]


def _consent(world: World, who: str, institution: str = "CQ-GZ-001") -> None:
    until = (utc_now() + timedelta(days=30)).isoformat()
    granted = world.post(
        "/api/v1/learners/me/consents",
        who,
        {"institution": institution, "scope": "read", "valid_until": until},
    )
    assert granted.status_code == 201, granted.get_json()


def test_a_registrar_merges_one_persons_passport_and_resident_id_accounts(world: World) -> None:
    # 李明 studied first on a passport, then on his 居民身份证.
    passport = world.post(
        "/api/v1/learners", "posterA", {"name": "LI MING", "document": PASSPORT}
    ).get_json()
    world.post(
        "/api/v1/learners/activate",
        None,
        {
            "document": PASSPORT,
            "activation_code": passport["activation_code"],
            "password": "passport-pass-1",
        },
    )
    world.tokens["passport"] = _sign_in(world, PASSPORT, "passport-pass-1").get_json()["token"]
    moved = _post(world, passport["id"], "p-1", title_zh="护照期间的课程").get_json()
    kept = _post(world, world.learners["li"], "li-1").get_json()
    _consent(world, "passport")
    _consent(world, "li")
    merge = {"alias": passport["id"], "reason": "同一人先后持护照和居民身份证"}
    path = f"/api/v1/learners/{world.learners['li']}/merge"

    # Refused, with nothing written: a poster key, an institution without consent, no reason.
    size = world.size()
    assert world.post(path, "posterA", merge).status_code == 403
    assert world.post(path, "registrarB", merge).status_code == 403
    assert world.post(path, "registrarA", {**merge, "reason": " "}).status_code == 400
    numbered = world.post(path, "registrarA", {**merge, "reason": f"证件 {VICTIM}"})
    assert numbered.status_code == 400
    assert world.size() == size

    merged = world.post(path, "registrarA", merge)
    assert merged.status_code == 201, merged.get_json()
    assert merged.get_json()["records_moved"] == 1
    again = world.post(path, "registrarA", merge)
    assert again.status_code == 409

    # The records are the surviving account's now, and a transcript of them verifies.
    ids = {
        r["id"]
        for r in world.get(f"/api/v1/learners/{world.learners['li']}/records", "li").get_json()[
            "records"
        ]
    }
    assert ids == {moved["records"][0]["id"], kept["records"][0]["id"]}
    issued = world.post("/api/v1/transcripts", "li", {"validity_days": 60})
    assert issued.status_code == 201, issued.get_json()
    report = world.client.post("/api/v1/verify", json=json.loads(issued.data)).get_json()
    assert report["valid"] is True, report

    # The alias resolves to the surviving account: opening its document, and signing in.
    reopened = world.post("/api/v1/learners", "posterB", {"name": "Li Ming", "document": PASSPORT})
    assert reopened.get_json()["id"] == world.learners["li"]
    assert _sign_in(world, PASSPORT, PASSWORD).get_json()["learner_id"] == world.learners["li"]
    assert world.get("/api/v1/learners/me", "passport").status_code == 401
    alias_post = _post(world, passport["id"], "p-2")
    assert alias_post.status_code == 400
    assert "merged" in alias_post.get_json()["errors"][0]["reason"]
