"""The bank's operators act on the record, and cannot act as an institution through a key.

The attack of issue 15: an operator mints a registrar key for an institution and reads one of
its consenting learners. The key is pending until the institution's admin accepts it; every
issue, acceptance, revocation and operator sign-in is a log entry naming who did it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.ledger.envelope import Envelope, decode_envelope
from creditbank.ledger.store import read_openings
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World, build_world, issue_bootstrap

A, B = "CQ-GZ-001", "SC-GZ-001"


@pytest.fixture
def world(client: FlaskClient, services: Services) -> World:
    built = build_world(client, services)
    granted = built.post(
        "/api/v1/learners/me/consents",
        "li",
        {
            "institution": A,
            "scope": "read",
            "valid_until": (utc_now() + timedelta(days=30)).isoformat(),
        },
    )
    assert granted.status_code == 201, granted.get_json()
    return built


def _key_id(secret: str) -> str:
    return secret.split("_")[1]


def _entries_since(world: World, start: int) -> list[Envelope]:
    return [decode_envelope(data) for _, data in world.services.ledger.entries(start, world.size())]


def _payload(world: World, index: int) -> dict[str, Any]:
    with read_connection(world.services.engine) as connection:
        _, payload = read_openings(connection, [index])[index]
    found: dict[str, Any] = json.loads(payload)
    return found


def _issue(world: World, who: str, code: str, role: str) -> dict[str, Any]:
    answer = world.post(f"/api/v1/institutions/{code}/clients", who, {"role": role, "label": role})
    assert answer.status_code == 201, answer.get_json()
    issued: dict[str, Any] = answer.get_json()
    return issued


def _as(world: World, secret: str, path: str) -> Any:
    return world.client.get(path, headers={"Authorization": f"Bearer {secret}"})


def test_an_operator_minted_registrar_key_reads_nobody_until_the_admin_accepts_it(
    world: World, engine_name: str
) -> None:
    li = world.learners["li"]
    operator = _key_id(world.keys["operator"])
    start = world.size()
    minted = _issue(world, "operator", A, "registrar")
    assert (minted["status"], minted["issuer"]) == ("pending", "operator")
    assert minted["issued_by"] == f"operator:{operator}"
    [issued] = _entries_since(world, start)
    assert (issued.kind, issued.actor) == ("client.issued", f"operator:{operator}")
    assert issued.index == minted["issued_index"]
    assert _payload(world, issued.index)["status"] == "pending"

    # Pending: it authenticates nowhere, and trying writes nothing.
    before = world.size()
    for path in (f"/api/v1/learners/{li}", f"/api/v1/learners/{li}/records", "/api/v1/consents"):
        refused = _as(world, minted["secret"], path)
        assert refused.status_code == 401, (path, refused.get_json())
        assert "awaits acceptance" in refused.get_json()["detail"]
    assert world.size() == before

    # Only A's own admin accepts it: not the operator, not B, not A's poster.
    accept = f"/api/v1/institutions/{A}/clients/{minted['key_id']}/accept"
    for who in ("operator", "adminB", "posterA", "registrarA"):
        assert world.post(accept, who, {}).status_code == 403, who
    assert world.post(accept, None, {}).status_code == 401
    assert world.size() == before

    accepted = world.post(accept, "adminA", {})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "active"
    assert accepted.get_json()["accepted_by"] == f"institution:{A}"
    assert _as(world, minted["secret"], f"/api/v1/learners/{li}").status_code == 200

    entries = _entries_since(world, start)
    assert [(e.kind, e.actor) for e in entries] == [
        ("client.issued", f"operator:{operator}"),
        ("client.accepted", f"institution:{A}"),
    ]
    acceptance = _payload(world, entries[1].index)
    assert acceptance["issued_by"] == f"operator:{operator}"
    assert acceptance["by_key"] == _key_id(world.keys["adminA"])
    # Accepting twice is refused and writes nothing.
    after = world.size()
    assert world.post(accept, "adminA", {}).status_code == 409
    assert world.size() == after


def test_a_refused_pending_key_never_works(world: World, engine_name: str) -> None:
    minted = _issue(world, "operator", A, "poster")
    start = world.size()
    refused = world.post(
        f"/api/v1/institutions/{A}/clients/{minted['key_id']}/revoke", "adminA", {}
    )
    assert refused.status_code == 200 and refused.get_json()["status"] == "revoked"
    [entry] = _entries_since(world, start)
    assert (entry.kind, entry.actor) == ("client.revoked", f"institution:{A}")
    assert _as(world, minted["secret"], "/api/v1/consents").status_code == 401
    accept = world.post(f"/api/v1/institutions/{A}/clients/{minted['key_id']}/accept", "adminA", {})
    assert accept.status_code == 409
    assert world.size() == start + 1


def test_the_admin_page_lists_every_key_with_who_issued_it(world: World, engine_name: str) -> None:
    minted = _issue(world, "operator", A, "registrar")
    listed = world.get(f"/api/v1/institutions/{A}/clients", "adminA").get_json()["clients"]
    by_id = {c["key_id"]: c for c in listed}
    bootstrap = by_id[_key_id(world.keys["bootstrapA"])]
    assert (bootstrap["status"], bootstrap["issuer"]) == ("revoked", "operator")
    assert bootstrap["revoked_by"] == f"institution:{A}"
    admin = by_id[_key_id(world.keys["adminA"])]
    assert (admin["status"], admin["issuer"], admin["issued_by"]) == (
        "active",
        "institution",
        f"institution:{A}",
    )
    assert (by_id[minted["key_id"]]["status"], by_id[minted["key_id"]]["issuer"]) == (
        "pending",
        "operator",
    )
    assert all(c["issued_index"] is not None and c["created_at"] for c in listed)
    assert "secret" not in json.dumps(listed)


def test_a_bootstrap_key_is_good_only_for_its_one_exchange(world: World, engine_name: str) -> None:
    code = "CQ-ZZ-901"
    body = {
        "code": code,
        "name_zh": "重庆市渝北职业教育中心",
        "name_en": "Yubei Vocational Centre",
        "kind": "zhongzhi_school",
        "level": "zhongzhi",
        "region": "重庆",
    }
    start = world.size()
    assert world.post("/api/v1/institutions", "operator", body).status_code == 201
    bootstrap = issue_bootstrap(world, code)
    operator = f"operator:{_key_id(world.keys['operator'])}"
    assert [(e.kind, e.actor) for e in _entries_since(world, start)] == [
        ("institution.registered", operator),
        ("client.issued", operator),
    ]
    # A second bootstrap key while one is unused: refused, nothing written.
    before = world.size()
    again = world.post(
        f"/api/v1/institutions/{code}/clients", "operator", {"role": "admin", "label": "again"}
    )
    assert again.status_code == 409
    # The bootstrap key reads and posts nothing, and issues nothing but an admin key.
    headers = {"Authorization": f"Bearer {bootstrap}"}
    for path in ("/api/v1/consents", f"/api/v1/institutions/{code}/clients", "/api/v1/learners/me"):
        assert world.client.get(path, headers=headers).status_code == 403, path
    poster = world.client.post(
        f"/api/v1/institutions/{code}/clients",
        json={"role": "poster", "label": "p"},
        headers=headers,
    )
    assert poster.status_code == 403
    other = world.client.post(
        f"/api/v1/institutions/{A}/clients", json={"role": "admin", "label": "x"}, headers=headers
    )
    assert other.status_code == 403
    assert world.size() == before

    exchanged = world.client.post(
        f"/api/v1/institutions/{code}/clients",
        json={"role": "admin", "label": "教务处"},
        headers=headers,
    )
    assert exchanged.status_code == 201, exchanged.get_json()
    own = exchanged.get_json()
    assert (own["status"], own["issuer"], own["issued_by"]) == (
        "active",
        "institution",
        f"institution:{code}",
    )
    assert [(e.kind, e.actor) for e in _entries_since(world, before)] == [
        ("client.issued", f"institution:{code}"),
        ("client.revoked", f"institution:{code}"),
    ]
    # Spent: a second use is refused and writes nothing.
    after = world.size()
    replay = world.client.post(
        f"/api/v1/institutions/{code}/clients",
        json={"role": "admin", "label": "x"},
        headers=headers,
    )
    assert replay.status_code == 401
    assert world.size() == after
    # Now the institution has an admin: an operator's admin key for it waits for acceptance.
    assert _issue(world, "operator", code, "admin")["status"] == "pending"


def test_operator_acts_name_the_operator(world: World, engine_name: str) -> None:
    operator = f"operator:{_key_id(world.keys['operator'])}"
    start = world.size()
    changed = world.client.patch(
        f"/api/v1/institutions/{A}",
        json={"require_signed_batches": False},
        headers={"Authorization": f"Bearer {world.keys['operator']}"},
    )
    assert changed.status_code == 200
    poster = _issue(world, "adminA", A, "poster")
    revoked = world.post(
        f"/api/v1/institutions/{A}/clients/{poster['key_id']}/revoke", "operator", {}
    )
    assert revoked.get_json()["revoked_by"] == operator
    assert [(e.kind, e.actor) for e in _entries_since(world, start)] == [
        ("institution.updated", operator),
        ("client.issued", f"institution:{A}"),
        ("client.revoked", operator),
    ]
    # Revoking a revoked key writes nothing.
    before = world.size()
    assert (
        world.post(f"/api/v1/institutions/{A}/clients/{poster['key_id']}/revoke", "adminA", {})
    ).status_code == 200
    assert world.size() == before


def test_the_public_log_names_operators_by_key_id_only(world: World, engine_name: str) -> None:
    """The console issued the operator's key; the operator did the rest under its key id."""
    entries = _entries_since(world, 0)
    operator = f"operator:{_key_id(world.keys['operator'])}"
    assert [(e.kind, e.actor) for e in entries[:2]] == [
        ("client.issued", "operator:console"),
        ("institution.registered", operator),
    ]
    assert {e.actor for e in entries if e.actor.startswith("operator")} == {
        "operator:console",
        operator,
    }
    assert "bank" not in {e.actor for e in entries}
