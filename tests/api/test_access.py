"""Who may call each endpoint: every role, of the same and of another institution.

Roles: nobody, the learner (li) and another learner (wang), poster/registrar/admin of A and of
B, the bank's operator, a poster key of A the operator issued and A's admin has not accepted
(pendingA: 401 everywhere), and the unused bootstrap key of a third institution C (bootstrapC:
good for nothing but its exchange). li consented to A (read); wang consented to nobody. Every
refusal is 401 or 403 and leaves the ledger as it was.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.clock import utc_now
from tests.api.world import World, bearer, course, issue_bootstrap, resident_id

ROLES = (
    None,
    "li",
    "wang",
    "posterA",
    "registrarA",
    "adminA",
    "posterB",
    "registrarB",
    "adminB",
    "operator",
    "pendingA",
    "bootstrapC",
)
UNAUTHENTICATED = (None, "pendingA")
A, B, C = "CQ-GZ-001", "SC-GZ-001", "CQ-ZZ-900"
_counter = itertools.count()


@pytest.fixture
def world(base_world: World) -> World:
    built = base_world
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
    pending = built.post(
        f"/api/v1/institutions/{A}/clients", "operator", {"role": "poster", "label": "helpdesk"}
    )
    assert pending.get_json()["status"] == "pending", pending.get_json()
    built.keys["pendingA"] = pending.get_json()["secret"]
    registered = built.post("/api/v1/institutions", "operator", {**_institution_body(), "code": C})
    assert registered.status_code == 201, registered.get_json()
    built.keys["bootstrapC"] = issue_bootstrap(built, C)
    return built


def _post_record(world: World, learner: str) -> str:
    answer = world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": world.learners[learner], **course()}]},
        **{"Idempotency-Key": f"setup-{next(_counter)}"},
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["records"][0]["id"])


def _public_key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _check(world: World, call: Callable[[str | None], Any], allowed: dict[str | None, int]) -> None:
    """Call as every role: refused roles first (nothing may change), allowed ones after."""
    refused = [role for role in ROLES if role not in allowed]
    for role in refused:
        before = world.size()
        answer = call(role)
        expected = 401 if role in UNAUTHENTICATED else 403
        assert answer.status_code == expected, (role, answer.status_code, answer.get_json())
        assert answer.mimetype == "application/problem+json"
        assert world.size() == before, role
    for role, status in allowed.items():
        answer = call(role)
        assert answer.status_code == status, (role, answer.status_code, answer.get_json())


def _institution_body() -> dict[str, Any]:
    return {
        "code": f"CQ-ZZ-{next(_counter):03d}",
        "name_zh": "重庆市渝北职业教育中心",
        "name_en": "Yubei Vocational Centre",
        "kind": "zhongzhi_school",
        "level": "zhongzhi",
        "region": "重庆",
    }


def test_register_institution(world: World, engine_name: str) -> None:
    _check(
        world,
        lambda who: world.post("/api/v1/institutions", who, _institution_body()),
        {"operator": 201},
    )


def test_list_institutions_is_public(world: World, engine_name: str) -> None:
    for role in ROLES:
        assert world.get("/api/v1/institutions", role).status_code == 200


def test_change_settings(world: World, engine_name: str) -> None:
    _check(
        world,
        lambda who: world.client.patch(
            f"/api/v1/institutions/{A}",
            json={"require_signed_batches": False},
            headers={"Authorization": f"Bearer {world.secret(who)}"} if who else {},
        ),
        {"adminA": 200, "operator": 200},
    )


def test_issue_and_list_clients(world: World, engine_name: str) -> None:
    _check(
        world,
        lambda who: world.post(
            f"/api/v1/institutions/{A}/clients", who, {"role": "poster", "label": "x"}
        ),
        {"adminA": 201, "operator": 201},
    )
    _check(
        world,
        lambda who: world.get(f"/api/v1/institutions/{A}/clients", who),
        {"adminA": 200, "operator": 200},
    )


def test_add_signing_key(world: World, engine_name: str) -> None:
    _check(
        world,
        lambda who: world.post(
            f"/api/v1/institutions/{A}/keys", who, {"public_key": _public_key()}
        ),
        {"adminA": 201, "operator": 201},
    )


def _person() -> dict[str, Any]:
    return {
        "name": "张伟",
        "document": {
            "kind": "resident_id",
            "number": resident_id(sequence=f"{next(_counter) % 900 + 100}"),
        },
    }


def test_open_account(world: World, engine_name: str) -> None:
    # Anonymous callers may open their own account (with a password): tested elsewhere.
    roles = {"posterA": 201, "adminA": 201, "posterB": 201, "adminB": 201, None: 400}
    _check(world, lambda who: world.post("/api/v1/learners", who, _person()), roles)
    _check(
        world,
        lambda who: world.post("/api/v1/learners/bulk", who, {"learners": [_person()]}),
        {"posterA": 201, "adminA": 201, "posterB": 201, "adminB": 201},
    )


def test_read_learner(world: World, engine_name: str) -> None:
    li = world.learners["li"]
    allowed = {"li": 200, "posterA": 200, "registrarA": 200, "adminA": 200}
    _check(world, lambda who: world.get(f"/api/v1/learners/{li}", who), allowed)
    _check(world, lambda who: world.get(f"/api/v1/learners/{li}/records", who), allowed)


def test_own_account_and_consents(world: World, engine_name: str) -> None:
    _check(world, lambda who: world.get("/api/v1/learners/me", who), {"li": 200, "wang": 200})
    _check(
        world, lambda who: world.get("/api/v1/learners/me/consents", who), {"li": 200, "wang": 200}
    )
    until = (utc_now() + timedelta(days=10)).isoformat()
    _check(
        world,
        lambda who: world.post(
            "/api/v1/learners/me/consents",
            who,
            {"institution": B, "scope": "evaluate", "valid_until": until},
        ),
        {"li": 201, "wang": 201},
    )


def test_withdraw_consent(world: World, engine_name: str) -> None:
    consent = world.get("/api/v1/learners/me/consents", "li").get_json()["consents"][0]["id"]
    # wang is refused with 404: another learner's consent is not theirs to find.
    path = f"/api/v1/learners/me/consents/{consent}/withdraw"
    for who, status in ((None, 401), ("posterA", 403), ("operator", 403), ("wang", 404)):
        before = world.size()
        assert world.post(path, who, {}).status_code == status, who
        assert world.size() == before
    assert world.post(path, "li", {}).status_code == 200
    # Withdrawn: A can no longer read li.
    assert world.get(f"/api/v1/learners/{world.learners['li']}", "registrarA").status_code == 403


def test_post_records(world: World, engine_name: str) -> None:
    li = world.learners["li"]
    _check(
        world,
        lambda who: world.post(
            "/api/v1/records",
            who,
            {"records": [{"learner_id": li, **course()}]},
            **{"Idempotency-Key": f"k-{next(_counter)}"},
        ),
        # B's keys may not post a course from A: B holds no delegation from A.
        {"posterA": 201, "adminA": 201},
    )


def test_read_record(world: World, engine_name: str) -> None:
    record = _post_record(world, "wang")  # posted by A; wang consented to nobody
    _check(
        world,
        lambda who: world.get(f"/api/v1/records/{record}", who),
        {"wang": 200, "posterA": 200, "registrarA": 200, "adminA": 200},
    )


def test_correct_and_revoke_record(world: World, engine_name: str) -> None:
    record = _post_record(world, "li")
    _check(
        world,
        lambda who: world.post(
            f"/api/v1/records/{record}/corrections",
            who,
            {"outcome": course(hours=60), "reason": "学时有误"},
        ),
        {"posterA": 200, "adminA": 200},
    )
    _check(
        world,
        lambda who: world.post(f"/api/v1/records/{record}/revocation", who, {"reason": "重复登记"}),
        {"adminA": 200, "posterA": 409},  # the second revocation finds it revoked already
    )


def test_list_consenting_learners(world: World, engine_name: str) -> None:
    _check(
        world,
        lambda who: world.get("/api/v1/consents", who),
        {
            "posterA": 200,
            "registrarA": 200,
            "adminA": 200,
            "posterB": 200,
            "registrarB": 200,
            "adminB": 200,
        },
    )
    assert world.get("/api/v1/consents", "registrarA").get_json()["learners"] == [
        world.learners["li"]
    ]
    assert world.get("/api/v1/consents", "registrarB").get_json()["learners"] == []


def test_show_institution_and_list_keys_are_public(world: World, engine_name: str) -> None:
    for role in ROLES:
        assert world.get(f"/api/v1/institutions/{A}", role).status_code == 200
        assert world.get(f"/api/v1/institutions/{A}/keys", role).status_code == 200
    assert world.get("/api/v1/institutions/NO-SUCH", None).status_code == 404


def test_revoke_client(world: World, engine_name: str) -> None:
    issued = world.post(
        f"/api/v1/institutions/{A}/clients", "adminA", {"role": "poster", "label": "x"}
    )
    key_id, secret = issued.get_json()["key_id"], issued.get_json()["secret"]
    _check(
        world,
        lambda who: world.post(f"/api/v1/institutions/{A}/clients/{key_id}/revoke", who, {}),
        {"adminA": 200, "operator": 200},
    )
    # The revoked key no longer authenticates.
    answer = world.client.get("/api/v1/consents", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401


def test_revoke_signing_key(world: World, engine_name: str) -> None:
    added = world.post(f"/api/v1/institutions/{A}/keys", "adminA", {"public_key": _public_key()})
    key_id = added.get_json()["key_id"]
    _check(
        world,
        lambda who: world.post(f"/api/v1/institutions/{A}/keys/{key_id}/revoke", who, {}),
        {"adminA": 200, "operator": 200},
    )
    listed = world.get(f"/api/v1/institutions/{A}/keys", None).get_json()["keys"]
    assert [k["revoked_at"] is not None for k in listed] == [True]


def test_sign_out(world: World, engine_name: str) -> None:
    for who, status in ((None, 401), ("posterA", 403), ("operator", 403)):
        assert (
            world.client.delete(
                "/api/v1/sessions/current", headers=bearer(world.secret(who))
            ).status_code
            == status
        )
    assert (
        world.client.delete(
            "/api/v1/sessions/current", headers=bearer(world.tokens["li"])
        ).status_code
        == 204
    )
    assert world.get("/api/v1/learners/me", "li").status_code == 401


def test_wrong_password_and_activation_code(world: World) -> None:
    document = {"kind": "resident_id", "number": world.documents["li"]}
    wrong = world.post(
        "/api/v1/sessions", None, {"document": document, "password": "not-the-password1"}
    )
    assert wrong.status_code == 401
    reused = world.post(
        "/api/v1/learners/activate",
        None,
        {
            "document": document,
            "activation_code": "cba_0000000000000000_" + "a" * 43,
            "password": "new-password-12",
        },
    )
    assert reused.status_code == 401


# --- delegations: who may let another member post from an institution, and who then may post


def _delegate(world: World, who: str | None) -> Any:
    return world.post(
        f"/api/v1/institutions/{A}/delegations",
        who,
        {"delegate": B, "kinds": ["course"], "reason": "教育局统一登记"},
    )


def test_grant_delegation(world: World, engine_name: str) -> None:
    # Only the delegating institution's admin, or an operator (recorded as one).
    _check(world, lambda who: _delegate(world, who), {"adminA": 201, "operator": 201})
    granted = world.get(f"/api/v1/institutions/{A}/delegations", None).get_json()["delegations"]
    assert [d["granted_by"] for d in granted] == [
        world.keys["adminA"].split("_")[1],
        world.keys["operator"].split("_")[1],
    ]


def test_list_delegations_is_public(world: World, engine_name: str) -> None:
    _delegate(world, "adminA")
    for role in ROLES:
        answer = world.get(f"/api/v1/institutions/{B}/delegations", role)
        assert answer.status_code == 200 and len(answer.get_json()["delegations"]) == 1


def test_end_delegation(world: World, engine_name: str) -> None:
    ids = iter(_delegate(world, "operator").get_json()["id"] for _ in range(2))
    current = {"id": next(ids)}

    def end(who: str | None) -> Any:
        answer = world.post(
            f"/api/v1/institutions/{A}/delegations/{current['id']}/end", who, {"reason": "结束"}
        )
        if answer.status_code == 200:
            current["id"] = next(ids, "")
        return answer

    _check(world, end, {"adminA": 200, "operator": 200})


def test_post_records_under_a_delegation(world: World, engine_name: str) -> None:
    assert _delegate(world, "adminA").status_code == 201
    li = world.learners["li"]
    _check(
        world,
        lambda who: world.post(
            "/api/v1/records",
            who,
            {"records": [{"learner_id": li, **course()}]},  # a course from A
            **{"Idempotency-Key": f"d-{next(_counter)}"},
        ),
        {"posterA": 201, "adminA": 201, "posterB": 201, "adminB": 201},
    )


def test_leave_the_bank(world: World, engine_name: str) -> None:
    _check(
        world,
        lambda who: world.post(f"/api/v1/institutions/{B}/leave", who, {"reason": "退出"}),
        {"operator": 200},
    )
