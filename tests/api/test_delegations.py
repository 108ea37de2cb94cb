"""Authorship through the HTTP API: who may post an outcome from which member.

The attack of the issue: a 1+X 培训评价组织 posts a 高等数学 course "from" a university, or
from a code that is no member. Refused, nothing written; under a delegation the university
logged, accepted, and shown as poster and source in the API, the transcript and its
verification. Then ending a delegation, a member leaving the bank, and who may do each.
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.transcripts.view import view_from_credential
from creditbank.wiring import Services
from tests.api.world import World, build_world, course, issue_bootstrap

UNIVERSITY, ONE_PLUS_X = "CQ-BK-001", "X-PJ-001"
_keys = itertools.count()


def _register(world: World, code: str, name: str, kind: str, level: str) -> None:
    answer = world.post(
        "/api/v1/institutions",
        "operator",
        {
            "code": code,
            "name_zh": name,
            "name_en": f"{code} (en)",
            "kind": kind,
            "level": level,
            "region": "重庆",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    # As in production: the operator's bootstrap key is exchanged for the institution's own
    # admin key, which issues the poster key.
    world.keys[f"bootstrap:{code}"] = issue_bootstrap(world, code)
    for role, by in (("admin", "bootstrap"), ("poster", "admin")):
        issued = world.post(
            f"/api/v1/institutions/{code}/clients", f"{by}:{code}", {"role": role, "label": role}
        )
        assert issued.status_code == 201, issued.get_json()
        world.keys[f"{role}:{code}"] = issued.get_json()["secret"]


@pytest.fixture
def world(client: FlaskClient, services: Services) -> World:
    built = build_world(client, services)
    _register(built, UNIVERSITY, "重庆科技大学", "university", "benke")
    _register(built, ONE_PLUS_X, "1+X 证书培训评价组织", "evaluation_organisation", "gaozhi")
    return built


def _maths(source: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "course_code": "MA101",
        "title_zh": "高等数学",
        "title_en": "Advanced Mathematics",
        "source_institution": source,
        "level": "benke",
        "programme": "机械设计制造及其自动化",
        "credits": "5",
        "hours": 80,
    }
    return course(**{**fields, **overrides})


def _post(world: World, who: str, *items: dict[str, Any]) -> Any:
    body = {"records": [{"learner_id": world.learners["li"], **item} for item in items]}
    return world.post("/api/v1/records", who, body, **{"Idempotency-Key": f"k{next(_keys)}"})


def _delegate(world: World, who: str = f"admin:{UNIVERSITY}", **body: Any) -> Any:
    return world.post(
        f"/api/v1/institutions/{UNIVERSITY}/delegations",
        who,
        {"delegate": ONE_PLUS_X, "kinds": ["course"], "reason": "1+X 课证融通试点", **body},
    )


def _entry(world: World, index: int) -> dict[str, Any]:
    page = world.get(f"/api/v1/log/entries?start={index}&end={index + 1}", None).get_json()
    found: dict[str, Any] = json.loads(base64.b64decode(page["entries"][0]["data"]))
    return found


def _records_of_li(world: World) -> list[dict[str, Any]]:
    answer = world.get(f"/api/v1/learners/{world.learners['li']}/records", "li")
    assert answer.status_code == 200, answer.get_json()
    found: list[dict[str, Any]] = answer.get_json()["records"]
    return found


def test_a_1x_organisation_cannot_post_a_university_course(world: World, engine_name: str) -> None:
    before = world.size()
    forged = _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY))
    assert forged.status_code == 403, forged.get_json()
    problem = forged.get_json()
    assert problem["type"].endswith("delegation-missing")
    assert f"from {UNIVERSITY} for course" in problem["detail"]
    assert problem["errors"] == [
        {
            "field": "source_institution",
            "index": 0,
            "reason": f"no delegation from {UNIVERSITY} to {ONE_PLUS_X} for course outcomes "
            "is in force",
        }
    ]
    stranger = _post(world, f"poster:{ONE_PLUS_X}", _maths(ONE_PLUS_X), _maths("ZZ-NOT-MEMBER"))
    assert stranger.status_code == 422, stranger.get_json()
    assert stranger.get_json()["type"].endswith("unknown-institution")
    assert stranger.get_json()["errors"][0]["index"] == 1
    assert world.size() == before
    assert _records_of_li(world) == []


def test_under_a_delegation_poster_and_source_are_shown_and_verified(
    world: World, engine_name: str
) -> None:
    granted = _delegate(world)
    assert granted.status_code == 201, granted.get_json()
    delegation = granted.get_json()
    assert delegation["active"] is True and delegation["kinds"] == ["course"]
    entry = _entry(world, delegation["granted_index"])
    assert (entry["kind"], entry["actor"]) == ("delegation.granted", f"institution:{UNIVERSITY}")
    posted = _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY))
    assert posted.status_code == 201, posted.get_json()
    [record] = _records_of_li(world)
    assert record["posted_by"] == ONE_PLUS_X
    assert record["source_institution"] == UNIVERSITY
    assert record["delegation"] == delegation["id"]

    answer = world.post("/api/v1/transcripts", "li", {"validity_days": 60})
    assert answer.status_code == 201, answer.get_json()
    credential = json.loads(answer.data)
    [nested] = credential["credentialSubject"]["verifiableCredential"]
    subject = nested["credentialSubject"]
    assert subject["achievement"]["creator"]["institutionCode"] == ONE_PLUS_X
    assert subject["source"]["institutionCode"] == UNIVERSITY
    assert [e["ledgerIndex"] for e in nested["evidence"]] == [
        posted.get_json()["records"][0]["index"],
        delegation["granted_index"],
    ]
    report = world.client.post("/api/v1/verify", json=credential).get_json()
    assert report["valid"] is True, report
    [authorship] = [c for c in report["checks"] if c["name"] == "authorship"]
    assert authorship == {
        "name": "authorship",
        "outcome": "passed",
        "reason": f"posted by {ONE_PLUS_X} from {UNIVERSITY} under delegation "
        f"{delegation['granted_index']}",
    }
    line = view_from_credential(credential).records[0]
    assert (line.institution_zh, line.posted_by_zh) == ("重庆科技大学", "1+X 证书培训评价组织")

    # Without the delegation's evidence the record's authorship no longer verifies.
    stripped = json.loads(answer.data)
    stripped["credentialSubject"]["verifiableCredential"][0]["evidence"].pop()
    report = world.client.post("/api/v1/verify", json=stripped).get_json()
    [authorship] = [c for c in report["checks"] if c["name"] == "authorship"]
    assert authorship["outcome"] == "failed"
    assert (
        f"evidence of delegation {delegation['granted_index']} is missing" in (authorship["reason"])
    )


def test_a_delegation_covers_only_its_kinds_and_period(world: World, engine_name: str) -> None:
    assert _delegate(world, kinds=["certificate"]).status_code == 201
    later = (utc_now() + timedelta(days=30)).isoformat()
    assert _delegate(world, effective_from=later).status_code == 201
    before = world.size()
    refused = _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY))
    assert refused.status_code == 403, refused.get_json()
    assert world.size() == before


def test_bad_delegations_are_refused(world: World, engine_name: str) -> None:
    before = world.size()
    for body, status in (
        ({"kinds": []}, 400),
        ({"kinds": ["diploma"]}, 400),
        ({"delegate": UNIVERSITY}, 400),
        ({"delegate": "ZZ-NOT-MEMBER"}, 404),
        ({"effective_until": (utc_now() - timedelta(days=1)).isoformat()}, 400),
        ({"reason": "  "}, 400),
    ):
        answer = _delegate(world, **body)
        assert answer.status_code == status, (body, answer.get_json())
        assert answer.mimetype == "application/problem+json"
    assert world.size() == before


def test_ending_a_delegation_stops_new_posts_and_keeps_past_ones(
    world: World, engine_name: str
) -> None:
    delegation = _delegate(world).get_json()
    assert _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY)).status_code == 201
    ended = world.post(
        f"/api/v1/institutions/{UNIVERSITY}/delegations/{delegation['id']}/end",
        f"admin:{UNIVERSITY}",
        {"reason": "试点结束"},
    )
    assert ended.status_code == 200, ended.get_json()
    assert ended.get_json()["active"] is False
    assert _entry(world, ended.get_json()["ended_index"])["kind"] == "delegation.ended"
    again = world.post(
        f"/api/v1/institutions/{UNIVERSITY}/delegations/{delegation['id']}/end",
        f"admin:{UNIVERSITY}",
        {"reason": "twice"},
    )
    assert again.status_code == 409
    before = world.size()
    assert _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY)).status_code == 403
    assert world.size() == before
    # What was posted under it stays, and still verifies (as of its date).
    answer = world.post("/api/v1/transcripts", "li", {"validity_days": 60})
    report = world.client.post("/api/v1/verify", json=json.loads(answer.data)).get_json()
    assert report["valid"] is True, report


def test_a_correction_meets_the_same_rule(world: World, engine_name: str) -> None:
    _delegate(world)
    posted = _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY)).get_json()
    record = posted["records"][0]["id"]
    before = world.size()
    answer = world.post(
        f"/api/v1/records/{record}/corrections",
        f"poster:{ONE_PLUS_X}",
        {"outcome": _maths("SC-GZ-001"), "reason": "改来源"},
    )
    assert answer.status_code == 403, answer.get_json()
    assert world.size() == before
    corrected = world.post(
        f"/api/v1/records/{record}/corrections",
        f"poster:{ONE_PLUS_X}",
        {"outcome": _maths(UNIVERSITY, hours=96), "reason": "学时更正"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["source_institution"] == UNIVERSITY
    answer = world.post("/api/v1/transcripts", "li", {"validity_days": 60})
    report = world.client.post("/api/v1/verify", json=json.loads(answer.data)).get_json()
    assert report["valid"] is True, report


def test_a_member_that_leaves_posts_nothing_new_and_its_past_stays_valid(
    world: World, engine_name: str
) -> None:
    delegation = _delegate(world).get_json()
    own = _post(world, f"poster:{UNIVERSITY}", _maths(UNIVERSITY, course_code="MA102"))
    assert own.status_code == 201, own.get_json()
    assert _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY)).status_code == 201
    left = world.post(f"/api/v1/institutions/{UNIVERSITY}/leave", "operator", {"reason": "合并"})
    assert left.status_code == 200, left.get_json()
    assert left.get_json()["delegations_ended"] == [delegation["id"]]
    assert _entry(world, left.get_json()["left_index"])["kind"] == "institution.left"
    shown = world.get(f"/api/v1/institutions/{UNIVERSITY}", None).get_json()
    assert shown["left_at"] is not None
    [listed] = world.get(f"/api/v1/institutions/{UNIVERSITY}/delegations", None).get_json()[
        "delegations"
    ]
    assert listed["active"] is False and listed["ended_index"] is not None

    before = world.size()
    itself = _post(world, f"poster:{UNIVERSITY}", _maths(UNIVERSITY, course_code="MA103"))
    assert itself.status_code == 403 and itself.get_json()["type"].endswith("institution-left")
    delegated = _post(world, f"poster:{ONE_PLUS_X}", _maths(UNIVERSITY, course_code="MA104"))
    assert delegated.status_code == 403, delegated.get_json()
    assert "left the bank" in delegated.get_json()["errors"][0]["reason"]
    assert _delegate(world, who="operator").status_code == 409
    assert (
        world.post(
            f"/api/v1/institutions/{UNIVERSITY}/leave", "operator", {"reason": "again"}
        ).status_code
        == 409
    )
    assert world.size() == before
    answer = world.post("/api/v1/transcripts", "li", {"validity_days": 60})
    assert answer.status_code == 201, answer.get_json()
    report = world.client.post("/api/v1/verify", json=json.loads(answer.data)).get_json()
    assert report["valid"] is True, report
    assert len(json.loads(answer.data)["credentialSubject"]["verifiableCredential"]) == 2
