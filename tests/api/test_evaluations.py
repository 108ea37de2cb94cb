"""Evaluations through the HTTP API: what-if, commit, re-run, exceptions, appeal, access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from creditbank.clock import utc_now
from tests.api.world import World, course
from tests.transcripts.helpers import ZHONGZHI_COURSES

POLICY = "cq-3plus2-industrial-robotics"
ON = "2026-09-01"


@pytest.fixture
def world(base_world: World) -> World:
    built = base_world
    until = (utc_now() + timedelta(days=30)).isoformat()
    for name in ("li",):
        assert (
            built.post(
                "/api/v1/learners/me/consents",
                name,
                {"institution": "CQ-GZ-001", "scope": "evaluate", "valid_until": until},
            ).status_code
            == 201
        )
    items = [dict(item) for item in ZHONGZHI_COURSES]  # 电工基础 and 体育与健康
    posted = built.post(
        "/api/v1/records",
        "posterA",
        {
            "records": [
                {"learner_id": built.learners[n], **item} for n in ("li", "wang") for item in items
            ]
        },
        **{"Idempotency-Key": "eval-setup"},
    )
    assert posted.status_code == 201, posted.get_json()
    built.records = [r["id"] for r in posted.get_json()["records"]]  # type: ignore[attr-defined]
    return built


def _body(world: World, learner: str = "li", **extra: Any) -> dict[str, Any]:
    return {"learner_id": world.learners[learner], "policy": POLICY, "on": ON, **extra}


def test_what_if_commit_rerun_and_appeal(world: World, engine_name: str) -> None:
    assert (
        world.post("/api/v1/evaluations", "registrarA", _body(world)).status_code == 409
    )  # unpublished
    assert world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {}).status_code == 200
    listed = {p["id"]: p for p in world.get("/api/v1/policies", None).get_json()["policies"]}
    assert listed[POLICY]["published"] is True

    size = world.size()
    what_if = world.post("/api/v1/evaluations/what-if", "registrarA", _body(world))
    assert what_if.status_code == 200, what_if.get_json()
    result = what_if.get_json()["result"]
    assert result["recognised_credits"] == "6"  # 电工基础 → GZ-JD102 (4) + 体育 → catch-all (2)
    assert world.size() == size  # nothing recorded

    committed = world.post("/api/v1/evaluations", "registrarA", _body(world))
    assert committed.status_code == 201
    evaluation = committed.get_json()
    assert evaluation["result_hash"] == what_if.get_json()["result_hash"]
    # The evaluation's entry, then one transfer entry per recognised course.
    assert len(evaluation["transfers"]) == 2
    assert world.size() == size + 3
    shown = world.get(f"/api/v1/learners/{world.learners['li']}/transfers", "li").get_json()
    assert [t["id"] for t in shown["transfers"]] == evaluation["transfers"]
    assert [(t["course"]["code"], t["recognised_credits"]) for t in shown["transfers"]] == [
        ("GZ-JD102", "4"),
        ("GZ-XX900", "2"),
    ]
    assert {t["status"] for t in shown["transfers"]} == {"standing"}
    for who in ("wang", "registrarB"):  # another learner; an institution without consent
        assert (
            world.get(f"/api/v1/learners/{world.learners['li']}/transfers", who).status_code == 403
        )
    assert world.get(f"/api/v1/evaluations/{evaluation['id']}", "li").status_code == 200
    assert world.get(f"/api/v1/evaluations/{evaluation['id']}", "registrarB").status_code == 403

    # The institution corrects a record afterwards: the re-run still reads what was evaluated.
    corrected = world.post(
        f"/api/v1/records/{world.records[0]}/corrections",
        "posterA",  # type: ignore[attr-defined]
        {
            "outcome": course(
                course_code="ZZ-JD102",
                title_zh="电工基础",
                level="zhongzhi",
                credits="3.5",
                grade={"scale": "percent", "value": "50"},
                completed_on="2023-07-01",
                term="2022-2023-2",
            ),
            "reason": "成绩录入错误",
        },
    )
    assert corrected.status_code == 200
    rerun = world.post(f"/api/v1/evaluations/{evaluation['id']}/rerun", "registrarA", {}).get_json()
    assert rerun["identical"] is True and rerun["rerun_hash"] == evaluation["result_hash"]

    appeal = world.post(f"/api/v1/evaluations/{evaluation['id']}/appeal", "li", {"why": "请复核"})
    assert appeal.status_code == 201 and appeal.get_json()["appeal_of"] == evaluation["id"]
    # The appeal read the corrected record: the failed grade no longer fills GZ-JD102.
    assert appeal.get_json()["result"]["recognised_credits"] == "2"
    # The appeal's transfers stand; the appealed evaluation's are superseded by it.
    shown = world.get(f"/api/v1/learners/{world.learners['li']}/transfers", "li").get_json()
    status = {t["id"]: (t["status"], t["superseded_by"]) for t in shown["transfers"]}
    for transfer_id in evaluation["transfers"]:
        assert status[transfer_id] == ("superseded", appeal.get_json()["id"])
    assert [status[t] for t in appeal.get_json()["transfers"]] == [("standing", None)]
    assert (
        world.get(f"/api/v1/evaluations/{evaluation['id']}", "li").get_json()["transfers"]
        == evaluation["transfers"]
    )
    assert (
        world.post(
            f"/api/v1/evaluations/{evaluation['id']}/appeal", "wang", {"why": "x"}
        ).status_code
        == 403
    )


def test_who_may_evaluate(world: World, engine_name: str) -> None:
    world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {})
    size = world.size()
    for who, body, status in (
        (None, _body(world), 401),
        ("li", _body(world), 403),
        ("operator", _body(world), 403),
        ("posterA", _body(world), 403),  # posters do not evaluate
        ("registrarB", _body(world), 403),  # not the programme's institution
        ("registrarA", _body(world, "wang"), 403),  # no consent
    ):
        assert world.post("/api/v1/evaluations", who, body).status_code == status, who
        assert world.post("/api/v1/evaluations/what-if", who, body).status_code == status, who
    assert world.size() == size
    assert world.post(f"/api/v1/policies/{POLICY}/publish", "registrarA", {}).status_code == 403


def test_exceptions_are_recorded_with_who_and_why(world: World) -> None:
    world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {})
    size = world.size()
    body = _body(world, exceptions=[{"type": "waive", "target": "GZ-JC102", "why": "英语等级证书"}])
    committed = world.post("/api/v1/evaluations", "registrarA", body)
    assert committed.status_code == 201, committed.get_json()
    result = committed.get_json()["result"]
    english = next(c for c in result["courses"] if c["code"] == "GZ-JC102")
    assert english["recognised_credits"] == "4" and english["reasons"][0]["code"] == "waived"
    assert "英语等级证书" in english["reasons"][0]["zh"]
    # The evaluation, the override, and three recognised courses (the waived one among them).
    assert len(committed.get_json()["transfers"]) == 3
    assert world.size() == size + 5
    bad = world.post(
        "/api/v1/evaluations",
        "registrarA",
        _body(world, exceptions=[{"type": "force", "target": "NOPE", "record": "x", "why": "?"}]),
    )
    assert bad.status_code == 400
    assert {p["field"] for p in bad.get_json()["errors"]} == {"target", "record"}
    assert world.size() == size + 5


def test_reading_rerunning_and_appealing_by_role(world: World, engine_name: str) -> None:
    world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {})
    evaluation = world.post("/api/v1/evaluations", "registrarA", _body(world)).get_json()["id"]
    size = world.size()
    expected = {
        None: 401,
        "li": 200,
        "wang": 403,
        "posterA": 200,
        "registrarA": 200,
        "adminA": 200,
        "posterB": 403,
        "registrarB": 403,
        "adminB": 403,
        "operator": 403,
    }
    for who, status in expected.items():
        assert world.get(f"/api/v1/evaluations/{evaluation}", who).status_code == status, who
        assert (
            world.post(f"/api/v1/evaluations/{evaluation}/rerun", who, {}).status_code == status
        ), who
    assert world.size() == size  # reading and re-running record nothing
    # The learner appeals and the evaluation's registrar decides (see below); nobody else.
    refused = {None: 401, "wang": 403, "posterA": 403, "registrarB": 403, "operator": 403}
    for who, status in refused.items():
        answer = world.post(f"/api/v1/evaluations/{evaluation}/appeal", who, {"why": "复核"})
        assert answer.status_code == status, who
    assert world.size() == size
    assert world.get("/api/v1/evaluations/no-such-id", "registrarA").status_code == 404


def test_a_registrar_states_the_appeal_date_and_the_records_to_reconsider(
    world: World, engine_name: str
) -> None:
    world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {})
    evaluation = world.post("/api/v1/evaluations", "registrarA", _body(world)).get_json()
    assert evaluation["result"]["recognised_credits"] == "6"
    failed = course(
        course_code="ZZ-JD102",
        title_zh="电工基础",
        level="zhongzhi",
        credits="3.5",
        grade={"scale": "percent", "value": "50"},
        completed_on="2023-07-01",
        term="2022-2023-2",
    )
    corrected = world.post(
        f"/api/v1/records/{world.records[0]}/corrections",
        "posterA",
        {"outcome": failed, "reason": "成绩录入错误"},
    )
    assert corrected.status_code == 200
    path = f"/api/v1/evaluations/{evaluation['id']}/appeal"
    size = world.size()
    stated = {"why": "复核", "on": "2028-03-01", "records": [world.records[1]]}
    # Only the evaluation's registrar states another date.
    assert world.post(path, "li", stated).status_code == 403
    assert world.post(path, "registrarB", stated).status_code == 403
    assert world.size() == size
    decided = world.post(path, "registrarA", stated)
    assert decided.status_code == 201, decided.get_json()
    answer = decided.get_json()
    assert answer["appeal_of"] == evaluation["id"]
    result = answer["result"]
    assert result["on"] == "2028-03-01"
    # 电工基础 was not named: read as the appealed evaluation read it (81), it still fills
    # GZ-JD102. 体育与健康 (2023-01-15), re-read, is more than five years old on the stated
    # date: the catch-all takes nothing.
    assert result["recognised_credits"] == "4"
    unused = {o["record"]: [r["code"] for r in o["reasons"]] for o in result["outcomes"]}
    assert "too_old" in unused[world.records[1]]
    # Without a date and records, the registrar's decision reads every record as it stands
    # now, as of the appealed evaluation's date: the corrected 50 fills nothing.
    plain = world.post(path, "registrarA", {"why": "复核"}).get_json()["result"]
    assert (plain["on"], plain["recognised_credits"]) == (ON, "2")
