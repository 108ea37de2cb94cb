"""Batches: idempotency, all or nothing, bad input named field by field, signed batches,
and personal data kept out of the database file and the log."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.clock import utc_now
from creditbank.ledger.store import read_openings
from creditbank.wiring import Services
from tests.api.world import World, bearer, course, resident_id


@pytest.fixture
def world(base_world: World) -> World:
    return base_world


def _batch(world: World, items: list[dict[str, Any]], key: str, who: str = "posterA") -> Any:
    return world.post("/api/v1/records", who, {"records": items}, **{"Idempotency-Key": key})


@pytest.mark.parametrize("external_ids", [False, True], ids=["plain", "external-ids"])
def test_concurrent_posts_with_one_key_answer_once_and_replay(
    world: World, engine_name: str, external_ids: bool
) -> None:
    items = [
        {"learner_id": world.learners["li"], **course(course_code=f"JX10{n}")}
        | ({"external_id": f"ext-{n}"} if external_ids else {})
        for n in range(3)
    ]
    body = json.dumps({"records": items})
    headers = {**bearer(world.keys["posterA"]), "Idempotency-Key": "race-1"}
    size = world.size()
    start = threading.Barrier(6)
    answers: list[Any] = []

    def post() -> None:
        client = world.client.application.test_client()
        start.wait()
        answers.append(
            client.post(
                "/api/v1/records", data=body, content_type="application/json", headers=headers
            )
        )

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [201] * 6
    assert len({json.dumps(answer.get_json(), sort_keys=True) for answer in answers}) == 1
    assert [answer.headers.get("Idempotent-Replayed") for answer in answers].count(None) == 1
    assert world.size() == size + 3


def test_same_key_same_body_replays_other_body_conflicts(world: World, engine_name: str) -> None:
    items = [{"learner_id": world.learners["li"], **course()}]
    first = _batch(world, items, "term-1")
    size = world.size()
    again = _batch(world, items, "term-1")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = _batch(world, [{"learner_id": world.learners["li"], **course(hours=10)}], "term-1")
    assert other.status_code == 409 and other.mimetype == "application/problem+json"
    assert world.size() == size
    # Keys are per institution: B may use the same key for its own batch.
    its_own = [{"learner_id": world.learners["li"], **course(source_institution="SC-GZ-001")}]
    assert _batch(world, its_own, "term-1", who="posterB").status_code == 201


def test_one_bad_item_rejects_the_batch_and_names_every_bad_item(
    world: World, engine_name: str
) -> None:
    li = world.learners["li"]
    items = [
        {"learner_id": li, **course()},
        {"learner_id": li, **course(grade={"scale": "five_level", "value": "很好"})},
        {"learner_id": li, **course()},
        {"learner_id": li, **course(credits="3.55", term="2024-2026-1")},
        {"learner_id": "no-such-learner", **course()},
    ]
    before = world.size()
    answer = _batch(world, items, "bad-1")
    assert answer.status_code == 400
    problems = answer.get_json()["errors"]
    assert {(p["index"], p["field"]) for p in problems} == {
        (1, "grade.value"),
        (3, "credits"),
        (3, "term"),
    }
    assert world.size() == before
    # Once the items are valid, the unknown learner is named too, still writing nothing.
    items = [items[0], items[4]]
    answer = _batch(world, items, "bad-2")
    assert answer.status_code == 400
    assert [(p["index"], p["field"]) for p in answer.get_json()["errors"]] == [(1, "learner_id")]
    assert world.size() == before
    # A rejected key was not consumed: the corrected batch may reuse it.
    assert _batch(world, [items[0]], "bad-2").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b'{"records": []}', "records"),
        (b'{"records": "x"}', "records"),
        (b'{"records": [], "extra": 1}', "extra"),
        (b'{"records": [{"kind": "course", "credits": NaN}]}', "body"),
    ],
)
def test_malformed_bodies(world: World, body: bytes, field: str) -> None:
    before = world.size()
    answer = world.client.post(
        "/api/v1/records",
        data=body,
        content_type="application/json",
        headers={**bearer(world.keys["posterA"]), "Idempotency-Key": "m"},
    )
    assert answer.status_code == 400, answer.get_json()
    assert field in {p["field"] for p in answer.get_json()["errors"]}
    assert world.size() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": "64"}, "hours"),
        ({"hours": True}, "hours"),
        ({"hours": -1}, "hours"),
        ({"hours": 2001}, "hours"),
        ({"credits": True}, "credits"),
        ({"credits": "31"}, "credits"),
        ({"credits": "-1"}, "credits"),
        ({"grade": {"scale": "percent", "value": "101"}}, "grade.value"),
        ({"grade": {"scale": "ten_level", "value": "1"}}, "grade.scale"),
        ({"grade": {"scale": "two_level", "value": "通过"}}, "grade.value"),
        ({"completed_on": "2999-01-01"}, "completed_on"),
        ({"completed_on": "2025-02-30"}, "completed_on"),
        ({"level": "doctor"}, "level"),
        ({"nickname": "x"}, "nickname"),
        ({"kind": "diploma"}, "kind"),
    ],
)
def test_field_problems_are_named(world: World, overrides: dict[str, Any], field: str) -> None:
    before = world.size()
    answer = _batch(world, [{"learner_id": world.learners["li"], **course(**overrides)}], "f")
    assert answer.status_code == 400, answer.get_json()
    assert [(p["index"], p["field"]) for p in answer.get_json()["errors"]] == [(0, field)]
    assert world.size() == before


def test_headers_and_sizes(world: World) -> None:
    item = {"learner_id": world.learners["li"], **course()}
    before = world.size()
    missing = world.post("/api/v1/records", "posterA", {"records": [item]})
    assert (
        missing.status_code == 400 and missing.get_json()["errors"][0]["field"] == "Idempotency-Key"
    )
    oversize = _batch(world, [item] * 10_001, "big")
    assert oversize.status_code == 413 and oversize.get_json()["errors"][0]["field"] == "records"
    world.client.application.config["MAX_CONTENT_LENGTH"] = 1024
    too_long = _batch(world, [item] * 20, "long")
    assert too_long.status_code == 413 and too_long.mimetype == "application/problem+json"
    assert world.size() == before


def test_bad_identity_documents(world: World) -> None:
    good = resident_id(sequence="777")
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = world.size()
    for number, reason in ((wrong_check, "check digit"), ("50010520990101777X", "future")):
        answer = world.post(
            "/api/v1/learners",
            "posterA",
            {"name": "赵六", "document": {"kind": "resident_id", "number": number}},
        )
        assert answer.status_code == 400
        [problem] = answer.get_json()["errors"]
        assert problem["field"] == "document.number" and reason in problem["reason"]
    bulk = world.post(
        "/api/v1/learners/bulk",
        "posterA",
        {
            "learners": [
                {"name": "甲", "document": {"kind": "resident_id", "number": good}},
                {"name": "乙", "document": {"kind": "resident_id", "number": wrong_check}},
            ]
        },
    )
    assert bulk.status_code == 400
    assert [(p["index"], p["field"]) for p in bulk.get_json()["errors"]] == [
        (1, "learners.1.document.number")
    ]
    assert world.size() == before


def test_same_person_is_one_account(world: World) -> None:
    number = world.documents["li"]
    again = world.post(
        "/api/v1/learners",
        "posterB",
        {"name": "李明", "document": {"kind": "resident_id", "number": " " + number.lower()}},
    )
    assert again.status_code == 200
    assert again.get_json() == {
        "id": world.learners["li"],
        "created": False,
        "ledger_index": None,
        "activation_code": None,
    }
    self_service = world.post(
        "/api/v1/learners",
        None,
        {
            "name": "李明",
            "document": {"kind": "resident_id", "number": number},
            "password": "another-pass-1",
        },
    )
    # Anonymous callers are not told that the document has an account (issue: no 409 oracle).
    assert self_service.status_code == 202
    assert self_service.get_json()["status"] == "accepted"


def _signed(world: World, key: Ed25519PrivateKey, key_id: str, body: bytes, idem: str) -> Any:
    signature = base64.b64encode(key.sign(body)).decode()
    return world.client.post(
        "/api/v1/records",
        data=body,
        content_type="application/json",
        headers={
            **bearer(world.keys["posterA"]),
            "Idempotency-Key": idem,
            "Creditbank-Signature": f"keyid={key_id}; sig={signature}",
        },
    )


def test_signed_batches(world: World, engine_name: str) -> None:
    key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = base64.b64encode(
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    added = world.post("/api/v1/institutions/CQ-GZ-001/keys", "adminA", {"public_key": public})
    key_id = added.get_json()["key_id"]
    required = world.client.patch(
        "/api/v1/institutions/CQ-GZ-001",
        json={"require_signed_batches": True},
        headers=bearer(world.keys["adminA"]),
    )
    assert required.status_code == 200
    body = json.dumps({"records": [{"learner_id": world.learners["li"], **course()}]}).encode()
    before = world.size()
    unsigned = world.client.post(
        "/api/v1/records",
        data=body,
        content_type="application/json",
        headers={**bearer(world.keys["posterA"]), "Idempotency-Key": "s0"},
    )
    assert unsigned.status_code == 403
    assert _signed(world, stranger, key_id, body, "s1").status_code == 403
    # A body changed after signing (one more record) no longer matches the signature.
    signature = base64.b64encode(key.sign(body)).decode()
    changed = body.replace(b'"hours": 64', b'"hours": 96')
    assert changed != body
    tampered = world.client.post(
        "/api/v1/records",
        data=changed,
        content_type="application/json",
        headers={
            **bearer(world.keys["posterA"]),
            "Idempotency-Key": "s2",
            "Creditbank-Signature": f"keyid={key_id}; sig={signature}",
        },
    )
    assert tampered.status_code == 403 and "does not verify" in tampered.get_json()["detail"]
    assert world.size() == before
    good = _signed(world, key, key_id, body, "s3")
    assert good.status_code == 201
    # The signature travels with the entry: the opening names the key and the body's hash.
    record = world.get(
        f"/api/v1/records/{good.get_json()['records'][0]['id']}", "posterA"
    ).get_json()
    with world.services.engine.connect() as connection:
        # Sealed under the learner's key: read_openings opens it with the key store.
        _, payload = read_openings(connection, [record["ledger_index"]])[record["ledger_index"]]
    signed = json.loads(payload)["signed_batch"]
    assert signed["key_id"] == key_id
    key.public_key().verify(base64.b64decode(signed["signature"]), body)
    assert world.size() == before + 1


def test_personal_data_is_not_in_the_database_file_or_the_log(
    world: World, services: Services
) -> None:
    name, number = "欧阳娜娜", resident_id(birth="20010709", sequence="555")
    opened = world.post(
        "/api/v1/learners",
        "posterA",
        {"name": name, "document": {"kind": "resident_id", "number": number}},
    )
    assert opened.status_code == 201
    _batch(world, [{"learner_id": opened.get_json()["id"], **course()}], "pii")
    services.engine.dispose()  # flush the WAL into the main file as well
    instance = services.settings.instance_path
    raw = b"".join(p.read_bytes() for p in instance.glob("creditbank.sqlite3*"))
    for secret in (name, number, number[-8:]):
        assert secret.encode("utf-8") not in raw
    entries = world.get("/api/v1/log/entries?start=0&end=1000", None).get_json()["entries"]
    log = b"".join(base64.b64decode(e["data"]) for e in entries)
    for secret in (name, number, opened.get_json()["id"]):
        assert secret.encode("utf-8") not in log
    # ...and the learner still reads their own name back.
    assert world.get(f"/api/v1/learners/{world.learners['li']}", "li").get_json()["name"] == "李明"


def test_consent_expires(world: World) -> None:
    until = utc_now() + timedelta(days=1)
    granted = world.post(
        "/api/v1/learners/me/consents",
        "wang",
        {"institution": "SC-GZ-001", "scope": "read", "valid_until": until.isoformat()},
    )
    assert granted.status_code == 201 and granted.get_json()["active"] is True
    too_far = world.post(
        "/api/v1/learners/me/consents",
        "wang",
        {
            "institution": "SC-GZ-001",
            "scope": "read",
            "valid_until": (utc_now() + timedelta(days=3000)).isoformat(),
        },
    )
    assert too_far.status_code == 400 and too_far.get_json()["errors"][0]["field"] == "valid_until"


def test_external_ids_are_never_posted_twice(world: World, engine_name: str) -> None:
    li = world.learners["li"]
    first = _batch(world, [{"learner_id": li, "external_id": "JW-2025-0001", **course()}], "e1")
    assert first.status_code == 201
    size = world.size()
    again = _batch(
        world,
        [
            {"learner_id": li, "external_id": "JW-2025-0002", **course()},
            {"learner_id": li, "external_id": "JW-2025-0001", **course(hours=32)},
        ],
        "e2",
    )
    assert again.status_code == 409
    assert again.get_json()["errors"] == [
        {"field": "external_id", "reason": "'JW-2025-0001' was already posted", "index": 1}
    ]
    assert world.size() == size
    # Another institution's ids are its own.
    other = _batch(
        world,
        [
            {
                "learner_id": li,
                "external_id": "JW-2025-0001",
                **course(source_institution="SC-GZ-001"),
            }
        ],
        "e3",
        "posterB",
    )
    assert other.status_code == 201
