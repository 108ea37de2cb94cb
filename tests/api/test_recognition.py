"""Recognition as a process through the HTTP API: review when a source changes (both engines)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from creditbank.clock import utc_now
from creditbank.ledger.store import read_openings
from creditbank.storage.database import read_connection
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


# --- 申请 → 审核 → 公示 → 认定 ------------------------------------------------------------------


def _apply(world: World, records: list[str] | None = None) -> Any:
    until = (utc_now() + timedelta(days=60)).isoformat()
    return world.post(
        "/api/v1/applications",
        "li",
        {"policy": POLICY, "records": records or _records(world), "consent_until": until},
    )


def _opening(world: World, index: int) -> dict[str, Any]:
    with read_connection(world.services.engine) as connection:
        opened = read_openings(connection, [index])
    payload: dict[str, Any] = json.loads(opened[index][1])
    return payload


def test_the_pipeline_through_public_notice_with_an_objection(
    world: World, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = world.client.put(
        "/api/v1/institutions/CQ-GZ-001/notice-period",
        json={"days": 7},
        headers={"Authorization": f"Bearer {world.keys['registrarA']}"},
    )
    assert answer.status_code == 403  # the institution's admin sets it
    answer = world.client.put(
        "/api/v1/institutions/CQ-GZ-001/notice-period",
        json={"days": 7},
        headers={"Authorization": f"Bearer {world.keys['adminA']}"},
    )
    assert answer.status_code == 200, answer.get_json()

    # 申请: with the consent given alongside; a record not the learner's is refused.
    refused = _apply(world, ["not-a-record"])
    assert refused.status_code == 400
    applied = _apply(world)
    assert applied.status_code == 201, applied.get_json()
    application = applied.get_json()
    app_id = application["id"]
    assert application["state"] == "applied"
    assert [s["step"] for s in application["steps"]] == ["applied"]
    consents = world.get("/api/v1/learners/me/consents", "li").get_json()["consents"]
    assert [(c["institution"], c["scope"]) for c in consents] == [("CQ-GZ-001", "evaluate")]
    assert world.get(f"/api/v1/applications/{app_id}", "wang").status_code == 403
    assert world.get(f"/api/v1/applications/{app_id}", "registrarB").status_code == 403
    listed = world.get("/api/v1/applications?state=applied", "registrarA").get_json()
    assert [a["id"] for a in listed["applications"]] == [app_id]

    # 审核: the what-if in front of the registrar, then an adjusted approval.
    what_if = world.post(f"/api/v1/applications/{app_id}/what-if", "registrarA", {"on": ON})
    assert what_if.status_code == 200
    assert what_if.get_json()["result"]["recognised_credits"] == "6"
    waive = [{"type": "waive", "target": "GZ-JC102", "why": "已取得英语等级证书"}]
    no_reason = world.post(
        f"/api/v1/applications/{app_id}/decision",
        "registrarA",
        {"decision": "approve", "exceptions": waive, "on": ON},
    )
    assert no_reason.status_code == 400
    size = world.size()
    approved = world.post(
        f"/api/v1/applications/{app_id}/decision",
        "registrarA",
        {"decision": "approve", "exceptions": waive, "reason": "按政策并免修英语", "on": ON},
    )
    assert approved.status_code == 200, approved.get_json()
    shown = approved.get_json()
    assert shown["state"] == "in_notice"
    assert shown["steps"][-1]["step"] == "adjusted"
    assert shown["steps"][-1]["actor"] == "institution:CQ-GZ-001"
    assert world.size() == size + 1  # one step entry; nothing committed yet
    step = _opening(world, shown["steps"][-1]["ledger_index"])
    assert step == {
        "application": app_id,
        "step": "adjusted",
        "state": "in_notice",
        "institution": "CQ-GZ-001",
        "policy": POLICY,
    }

    # 公示: public, without personal data.
    public = world.client.get("/api/v1/public-notices")
    assert public.status_code == 200
    notices = public.get_json()["notices"]
    assert [(n["application"], n["name"]) for n in notices] == [(app_id, "李*")]
    credits = what_if.get_json()["result"]["recognised_credits"]
    assert notices[0]["recognised_credits"] != credits  # the waiver added GZ-JC102
    assert "GZ-JC102" in {c["code"] for c in notices[0]["courses"]}
    text = public.get_data(as_text=True)
    assert world.learners["li"] not in text and "李明" not in text
    assert world.documents["li"] not in text

    objected = world.client.post(
        f"/api/v1/public-notices/{app_id}/objections", json={"reason": "该生体育课未及格"}
    )
    assert objected.status_code == 201, objected.get_json()
    objection = objected.get_json()["id"]
    assert world.post(f"/api/v1/applications/{app_id}/commit", "registrarA", {}).status_code == 409

    # Upheld: back to review; approved again; a second objection dismissed.
    upheld = world.post(
        f"/api/v1/objections/{objection}/resolution",
        "registrarA",
        {"uphold": True, "reason": "核实后体育课成绩需复核"},
    )
    assert upheld.status_code == 200, upheld.get_json()
    assert upheld.get_json()["state"] == "applied"
    assert world.client.get("/api/v1/public-notices").get_json() == {"notices": []}
    again = world.post(
        f"/api/v1/applications/{app_id}/decision",
        "registrarA",
        {"decision": "approve", "on": ON},
    )
    assert again.get_json()["state"] == "in_notice"
    second = world.client.post(
        f"/api/v1/public-notices/{app_id}/objections", json={"reason": "重复异议"}
    ).get_json()["id"]
    assert (
        world.post(
            f"/api/v1/objections/{second}/resolution",
            "registrarB",
            {"uphold": False, "reason": "x"},
        ).status_code
        == 403
    )
    dismissed = world.post(
        f"/api/v1/objections/{second}/resolution",
        "registrarA",
        {"uphold": False, "reason": "成绩经核实无误"},
    )
    assert dismissed.get_json()["state"] == "in_notice"
    # Still within the notice period: not yet.
    early = world.post(f"/api/v1/applications/{app_id}/commit", "registrarA", {})
    assert early.status_code == 409
    assert "public notice runs until" in early.get_json()["detail"]

    # 认定: after the period.
    later = utc_now() + timedelta(days=8)
    monkeypatch.setattr("creditbank.api.applications.utc_now", lambda: later)
    late_objection = world.client.post(
        f"/api/v1/public-notices/{app_id}/objections", json={"reason": "太晚了"}
    )
    assert late_objection.status_code == 409
    committed = world.post(f"/api/v1/applications/{app_id}/commit", "registrarA", {})
    assert committed.status_code == 201, committed.get_json()
    evaluation = committed.get_json()
    assert evaluation["result"]["recognised_credits"] == "6"
    final = world.get(f"/api/v1/applications/{app_id}", "li").get_json()
    assert final["state"] == "recognised"
    assert final["evaluation"] == evaluation["id"]
    assert [s["step"] for s in final["steps"]] == [
        "applied",
        "adjusted",
        "objection_upheld",
        "approved",
        "recognised",
    ]
    assert [o["resolution"] for o in final["objections"]] == ["upheld", "dismissed"]
    assert {t["status"] for t in _transfers(world).values()} == {"standing"}
    assert world.post(f"/api/v1/applications/{app_id}/commit", "registrarA", {}).status_code == 409


def test_without_a_notice_period_approval_commits_and_rejection_needs_a_reason(
    world: World, engine_name: str
) -> None:
    first = _apply(world).get_json()["id"]
    size = world.size()
    approved = world.post(
        f"/api/v1/applications/{first}/decision", "registrarA", {"decision": "approve", "on": ON}
    )
    assert approved.status_code == 200, approved.get_json()
    shown = approved.get_json()
    assert shown["state"] == "recognised" and shown["evaluation"]
    # The evaluation, its two transfers, and the two steps: one transaction.
    assert world.size() == size + 5
    assert len(_transfers(world)) == 2

    second = _apply(world, _records(world)[:1]).get_json()["id"]
    assert (
        world.post(
            f"/api/v1/applications/{second}/decision", "registrarA", {"decision": "reject"}
        ).status_code
        == 400
    )
    rejected = world.post(
        f"/api/v1/applications/{second}/decision",
        "registrarA",
        {"decision": "reject", "reason": "所选课程不在本专业范围"},
    )
    assert rejected.get_json()["state"] == "rejected"
    assert rejected.get_json()["decision_reason"] == "所选课程不在本专业范围"
    mine = world.get("/api/v1/applications", "li").get_json()["applications"]
    assert {(a["id"], a["state"]) for a in mine} == {(first, "recognised"), (second, "rejected")}
    assert (
        world.post(
            f"/api/v1/applications/{second}/decision",
            "registrarA",
            {"decision": "approve"},
        ).status_code
        == 409
    )


def test_the_learner_appeal_keeps_the_learner_reason(world: World, engine_name: str) -> None:
    _grant(world)
    first = _commit(world)
    appealed = world.post(
        f"/api/v1/evaluations/{first['id']}/appeal", "li", {"why": "电工基础成绩已更正"}
    )
    assert appealed.status_code == 201, appealed.get_json()
    assert appealed.get_json()["appeal_of"] == first["id"]
    opening = _opening(world, appealed.get_json()["ledger_index"])
    assert opening["appeal_reason"] == "电工基础成绩已更正"
    assert (
        world.post(f"/api/v1/evaluations/{first['id']}/appeal", "wang", {"why": "x"}).status_code
        == 403
    )


# --- the public transfer guide --------------------------------------------------------------


def test_anyone_reads_a_policy_in_words(world: World) -> None:
    answer = world.client.get(f"/api/v1/policies/{POLICY}/guide")
    assert answer.status_code == 200
    guide = answer.get_json()
    courses = {c["code"]: c for c in guide["courses"]}
    # 电工基础 fills GZ-JD102 for 4 credits: stated in both languages.
    ways = courses["GZ-JD102"]["ways"]
    assert [w["zh"] for w in ways] == ["修读课程 电工基础，认定 4 学分（规则 R02）"]
    assert [w["en"] for w in ways] == ["the course 电工基础: 4 credits (rule R02)"]
    assert any(c["catch_all"] for c in guide["courses"])
    assert {"zh", "en"} == set(guide["caps"][0])
    assert world.client.get("/api/v1/policies/no-such-policy/guide").status_code == 404


def test_a_learner_what_if_needs_no_consent_and_records_nothing(
    world: World, engine_name: str
) -> None:
    size = world.size()
    answer = world.post(f"/api/v1/policies/{POLICY}/what-if", "li", {})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"]["recognised_credits"] == "6"
    assert answer.get_json()["id"] is None
    assert world.size() == size
    consents = world.get("/api/v1/learners/me/consents", "li").get_json()["consents"]
    assert consents == []
    # Only a learner runs it, on their own records.
    assert world.post(f"/api/v1/policies/{POLICY}/what-if", "registrarA", {}).status_code == 403
    assert world.post(f"/api/v1/policies/{POLICY}/what-if", None, {}).status_code == 401
    assert (
        world.post(f"/api/v1/policies/{POLICY}/what-if", "wang", {}).get_json()["result"][
            "recognised_credits"
        ]
        == "0"
    )


def test_an_institution_may_be_a_general_high_school(world: World) -> None:
    answer = world.post(
        "/api/v1/institutions",
        "operator",
        {
            "code": "CQ-PG-001",
            "name_zh": "重庆市渝北中学校",
            "name_en": "Chongqing Yubei High School",
            "kind": "putong_gaozhong_school",
            "level": "putong_gaozhong",
            "region": "重庆",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["kind"] == "putong_gaozhong_school"


def test_a_record_changed_during_the_notice_sends_the_application_back(
    world: World, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.client.put(
        "/api/v1/institutions/CQ-GZ-001/notice-period",
        json={"days": 3},
        headers={"Authorization": f"Bearer {world.keys['adminA']}"},
    )
    app_id = _apply(world).get_json()["id"]
    approved = world.post(
        f"/api/v1/applications/{app_id}/decision", "registrarA", {"decision": "approve", "on": ON}
    )
    assert approved.get_json()["state"] == "in_notice"
    assert approved.get_json()["result"]["recognised_credits"] == "6"
    # 体育与健康 is revoked while the result is on notice.
    revoked = world.post(
        f"/api/v1/records/{_records(world)[1]}/revocation", "posterA", {"reason": "重复登记"}
    )
    assert revoked.status_code == 200
    later = utc_now() + timedelta(days=4)
    monkeypatch.setattr("creditbank.api.applications.utc_now", lambda: later)
    refused = world.post(f"/api/v1/applications/{app_id}/commit", "registrarA", {})
    assert refused.status_code == 409
    assert "back for review" in refused.get_json()["detail"]
    shown = world.get(f"/api/v1/applications/{app_id}", "li").get_json()
    assert shown["state"] == "applied"
    assert shown["steps"][-1]["step"] == "sources_changed"
    assert world.client.get("/api/v1/public-notices").get_json() == {"notices": []}
    # Reviewed again, on the records still active: 电工基础 alone.
    what_if = world.post(f"/api/v1/applications/{app_id}/what-if", "registrarA", {"on": ON})
    assert what_if.get_json()["result"]["recognised_credits"] == "4"
