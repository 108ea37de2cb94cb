"""Recognition as a process through the HTTP API: review when a source changes (both engines)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from creditbank.clock import utc_now
from tests.api.world import World
from tests.transcripts.helpers import ZHONGZHI_COURSES

POLICY = "cq-3plus2-industrial-robotics"
ON = "2026-09-01"


def _grant(world: World, learner: str = "li", institution: str = "CQ-GZ-001") -> Any:
    until = (utc_now() + timedelta(days=30)).isoformat()
    answer = world.post(
        "/api/v1/learners/me/consents",
        learner,
        {"institution": institution, "scope": "evaluate", "valid_until": until},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.fixture
def world(base_world: World) -> World:
    built = base_world
    items = [dict(item) for item in ZHONGZHI_COURSES]  # 电工基础 and 体育与健康
    posted = built.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": built.learners["li"], **item} for item in items]},
        **{"Idempotency-Key": "recognition-setup"},
    )
    assert posted.status_code == 201, posted.get_json()
    built.records = [r["id"] for r in posted.get_json()["records"]]  # type: ignore[attr-defined]
    assert built.post(f"/api/v1/policies/{POLICY}/publish", "operator", {}).status_code == 200
    return built


def _records(world: World) -> list[str]:
    found: list[str] = world.records  # type: ignore[attr-defined]
    return found


def _commit(world: World) -> dict[str, Any]:
    body = {"learner_id": world.learners["li"], "policy": POLICY, "on": ON}
    answer = world.post("/api/v1/evaluations", "registrarA", body)
    assert answer.status_code == 201, answer.get_json()
    result: dict[str, Any] = answer.get_json()
    return result


def _transfers(world: World) -> dict[str, dict[str, Any]]:
    shown = world.get(f"/api/v1/learners/{world.learners['li']}/transfers", "li").get_json()
    return {t["course"]["code"]: t for t in shown["transfers"]}


def test_a_revoked_record_puts_its_transfer_under_review_until_confirmed(
    world: World, engine_name: str
) -> None:
    _grant(world)
    _commit(world)
    electrics = _transfers(world)["GZ-JD102"]["id"]
    issued = world.post("/api/v1/transcripts", "li", {"validity_days": 60, "records": [electrics]})
    assert issued.status_code == 201
    revoked = world.post(
        f"/api/v1/records/{_records(world)[0]}/revocation", "posterA", {"reason": "成绩录入错误"}
    )
    assert revoked.status_code == 200, revoked.get_json()
    shown = _transfers(world)
    assert shown["GZ-JD102"]["status"] == "under_review"
    assert shown["GZ-JD102"]["review"]["kind"] == "record_revoked"
    assert shown["GZ-XX900"]["status"] == "standing"  # 体育与健康 was not touched
    # No transcript may include it now.
    refused = world.post("/api/v1/transcripts", "li", {"validity_days": 60, "records": [electrics]})
    assert refused.status_code == 400
    assert "under review" in refused.get_json()["errors"][0]["reason"]
    # The transcript that held it is revoked.
    held = world.get("/api/v1/transcripts", "li").get_json()["transcripts"]
    assert [t["revoked_reason"] for t in held] == [
        "recognised transfer under review: a record it relied on was revoked"
    ]
    # The registrar's queue lists it with the change; another institution sees nothing.
    queue = world.get("/api/v1/transfers/under-review", "registrarA")
    assert queue.status_code == 200
    items = queue.get_json()["transfers"]
    assert [(i["transfer"], i["change"]["kind"], i["change"]["reason"]) for i in items] == [
        (electrics, "record_revoked", "成绩录入错误")
    ]
    assert world.get("/api/v1/transfers/under-review", "registrarB").get_json() == {"transfers": []}
    assert world.get("/api/v1/transfers/under-review", "li").status_code == 403
    # Confirming needs a reason, and only the recognising institution's registrar.
    assert (
        world.post(f"/api/v1/transfers/{electrics}/confirmation", "registrarA", {}).status_code
        == 400
    )
    assert (
        world.post(
            f"/api/v1/transfers/{electrics}/confirmation", "registrarB", {"reason": "x"}
        ).status_code
        == 403
    )
    size = world.size()
    confirmed = world.post(
        f"/api/v1/transfers/{electrics}/confirmation", "registrarA", {"reason": "已核实另有成绩"}
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json() == {
        "transfer": electrics,
        "status": "standing",
        "ledger_index": size,
    }
    assert _transfers(world)["GZ-JD102"]["status"] == "standing"
    again = world.post("/api/v1/transcripts", "li", {"validity_days": 60, "records": [electrics]})
    assert again.status_code == 201
    assert (
        world.post(
            f"/api/v1/transfers/{electrics}/confirmation", "registrarA", {"reason": "again"}
        ).status_code
        == 409
    )


def test_withdrawing_consent_reviews_and_a_recommit_clears_the_queue(
    world: World, engine_name: str
) -> None:
    consent = _grant(world)
    first = _commit(world)
    withdrawn = world.post(f"/api/v1/learners/me/consents/{consent['id']}/withdraw", "li", {})
    assert withdrawn.status_code == 200
    assert {t["status"] for t in _transfers(world).values()} == {"under_review"}
    queue = world.get("/api/v1/transfers/under-review", "registrarA").get_json()["transfers"]
    assert [i["change"]["kind"] for i in queue] == ["consent_withdrawn"] * 2
    _grant(world)
    second = _commit(world)
    assert second["id"] != first["id"]
    assert world.get("/api/v1/transfers/under-review", "registrarA").get_json() == {"transfers": []}
    assert {t["status"] for t in _transfers(world).values()} == {"standing"}
