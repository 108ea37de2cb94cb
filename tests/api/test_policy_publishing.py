"""Policy versions through the API: catalog years, uploads checked and analysed, publishing
picked up by a second serving process, broken policies refused and quarantined.

The policies folder of these instances holds only the 2026 catalog year of the five-year
programme (and, where a test says so, a broken file); its 2027 catalog year reaches the
service only by upload.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.cohorts.service import run_pending
from creditbank.config import Settings
from creditbank.evaluations.catalogue import publication_t
from creditbank.ledger.envelope import EntryKind, decode_envelope
from creditbank.storage.database import read_connection
from creditbank.wiring import Services, open_services
from tests.api.world import World, bearer, course
from tests.conftest import make_settings
from tests.templates import bound_app

POLICIES = Path(__file__).resolve().parents[2] / "policies"
FIVE_YEAR = "cq-five-year-computer-applications"
V2026 = POLICIES / f"{FIVE_YEAR}.toml"
V2027 = POLICIES / f"{FIVE_YEAR}.2027.toml"
V2027_CASES = POLICIES / f"{FIVE_YEAR}.2027.cases.toml"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """An instance whose policies folder holds the 2026 catalog year only."""
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(V2026, folder)
    url = None
    if "engine_name" in request.fixturenames and request.getfixturevalue("engine_name") == (
        "postgres"
    ):
        url = request.getfixturevalue("postgres_url")
    # A long refresh interval: this process must see its own publications at once anyway.
    return replace(
        make_settings(tmp_path / "instance", url),
        policies_path=folder,
        policy_refresh_seconds=3600.0,
    )


def _zz(code: str, title: str, credits: str, term: str, completed: str) -> dict[str, Any]:
    return course(
        course_code=code,
        title_zh=title,
        level="zhongzhi",
        programme="计算机应用",
        credits=credits,
        term=term,
        completed_on=completed,
        grade={"scale": "percent", "value": "85"},
    )


# 李 (li): under 2026.1 the 8-credit year cap leaves 网页设计 out (3 + 4 + 3 = 10 in 2024-25,
# so 计算机 + C = 7, and 数据库 3 in 2025-26): 10. Under 2027.1 (cap 10) all four count: 13.
LI = [
    _zz("ZZ-CA101", "计算机应用基础", "3", "2024-2025-1", "2025-01-15"),
    _zz("ZZ-CA201", "C语言程序设计", "4", "2024-2025-1", "2025-01-15"),
    _zz("ZZ-CA202", "网页设计与制作", "3", "2024-2025-2", "2025-07-01"),
    _zz("ZZ-CA203", "数据库应用基础", "3", "2025-2026-1", "2026-01-15"),
]
# 王 (wang): no rule for 美术鉴赏 or 职业生涯规划, so they go to the elective 专业拓展, which
# takes 4 under 2026.1 and 2 under 2027.1: 4, then 2.
WANG = [
    _zz("ZZ-GG101", "美术鉴赏", "2", "2024-2025-1", "2025-01-15"),
    _zz("ZZ-GG102", "职业生涯规划", "2", "2025-2026-1", "2026-01-15"),
]


@pytest.fixture
def world(base_world: World) -> World:
    until = (utc_now().replace(year=utc_now().year + 2)).isoformat()
    for name in ("li", "wang"):
        granted = base_world.post(
            "/api/v1/learners/me/consents",
            name,
            {"institution": "CQ-GZ-001", "scope": "evaluate", "valid_until": until},
        )
        assert granted.status_code == 201, granted.get_json()
    records = [{"learner_id": base_world.learners["li"], **item} for item in LI]
    records += [{"learner_id": base_world.learners["wang"], **item} for item in WANG]
    posted = base_world.post(
        "/api/v1/records", "posterA", {"records": records}, **{"Idempotency-Key": "five-year"}
    )
    assert posted.status_code == 201, posted.get_json()
    return base_world


def _evaluate(world: World, who: str, *, commit: bool, **extra: Any) -> Any:
    body = {"learner_id": world.learners[who], "policy": FIVE_YEAR, **extra}
    path = "/api/v1/evaluations" if commit else "/api/v1/evaluations/what-if"
    return world.post(path, "registrarA", body)


def _upload(world: World, who: str, text: str, cases: str, **extra: Any) -> Any:
    return world.post("/api/v1/policies/drafts", who, {"policy": text, "cases": cases, **extra})


def _listed(client: FlaskClient) -> dict[str, Any]:
    answer = client.get("/api/v1/policies")
    assert answer.status_code == 200
    return {p["id"]: p for p in answer.get_json()["policies"]}


def _second_process(services: Services, **overrides: Any) -> tuple[Services, FlaskClient]:
    """Another serving process on the same database (its own catalogue, read at start)."""
    settings = replace(services.settings, **{"policy_refresh_seconds": 0.0, **overrides})
    other = open_services(settings)
    return other, bound_app(other).test_client()


def test_catalog_years_upload_impact_publish_and_a_second_process(
    world: World, services: Services, engine_name: str
) -> None:
    other, second = _second_process(services)
    try:
        assert [v["version"] for v in _listed(second)[FIVE_YEAR]["versions"]] == ["2026.1"]
        published = world.post(f"/api/v1/policies/{FIVE_YEAR}/publish", "operator", {})
        assert published.status_code == 200, published.get_json()
        assert published.get_json()["versions"][0]["published"] is True

        # The policy applies by intake year: without it, the registrar is told what to give.
        missing = _evaluate(world, "li", commit=False, on="2026-10-01")
        assert missing.status_code == 400
        assert missing.get_json()["errors"][0]["field"] == "intake"
        committed = {}
        for name, credits in (("li", "10"), ("wang", "4")):
            answer = _evaluate(world, name, commit=True, on="2026-10-01", intake=2026)
            assert answer.status_code == 201, answer.get_json()
            result = answer.get_json()["result"]
            assert result["policy"]["version"] == "2026.1"
            assert result["applies_on"] == "2026-09-01"
            assert result["recognised_credits"] == credits
            committed[name] = answer.get_json()["id"]

        # Refused with its errors and lines: the service goes on serving.
        text = V2027.read_text(encoding="utf-8")
        cases = V2027_CASES.read_text(encoding="utf-8")
        broken = text.replace("per_academic_year = 10", 'per_academic_year = "ten"')
        refused = _upload(world, "adminA", broken, cases, filename="v2027.toml")
        assert refused.status_code == 400
        assert refused.headers["Content-Type"] == "application/problem+json"
        [error] = refused.get_json()["errors"]
        line = 1 + broken.splitlines().index('per_academic_year = "ten"')
        assert error == {
            "field": "v2027.toml:caps.per_academic_year",
            "reason": "Not a valid number.",
            "line": line,
        }
        as_json = json.dumps(tomllib.loads(text), ensure_ascii=False, indent=2, default=str)
        bad_json = as_json.replace('"course": 60', '"course": -1')
        refused = _upload(world, "adminA", bad_json, cases, format="json", filename="v.json")
        assert refused.status_code == 400
        [error] = refused.get_json()["errors"]
        assert error["field"] == "v.json:min_grade.course.value"
        assert error["line"] == 1 + bad_json.splitlines().index('    "course": -1')
        # Its own cases must hold: a case expecting another total refuses the upload.
        wrong = cases.replace('recognised_credits = "13"', 'recognised_credits = "12"')
        refused = _upload(world, "adminA", text, wrong)
        assert refused.status_code == 400
        assert refused.get_json()["type"] == "urn:creditbank:problem:cases-invalid"
        assert "expected 12, got 13" in refused.get_json()["errors"][0]["reason"]
        assert refused.get_json()["errors"][0]["line"] == 1 + wrong.splitlines().index("[[case]]")
        # Another institution's admin, and a registrar, may not upload CQ-GZ-001's policy.
        assert _upload(world, "adminB", text, cases).status_code == 403
        assert _upload(world, "registrarA", text, cases).status_code == 403
        assert world.get("/healthz", None).status_code == 200
        assert world.get("/api/v1/policies", None).status_code == 200

        size = world.size()
        draft = _upload(world, "adminA", text, cases, filename=V2027.name)
        assert draft.status_code == 201, draft.get_json()
        shown = draft.get_json()
        assert world.size() == size  # nothing published yet
        assert (shown["version"], shown["cases_passed"]) == ("2027.1", 3)
        impact = shown["impact"]
        # The hand-built figures: li 10 → 13 (网页设计 GZ-CA202 added), wang 4 → 2 (专业拓展
        # GZ-CA900 with 2 credits instead of 4).
        assert {k: v for k, v in impact.items() if k != "changes"} == {
            "previous_version": "2026.1",
            "evaluations": 2,
            "unchanged": 0,
            "learners_up": 1,
            "learners_down": 1,
            "credits_up": "3",
            "credits_down": "2",
            "transfers_added": 1,
            "transfers_removed": 0,
            "transfers_changed": 1,
        }
        by_learner = {c["learner"]: c for c in impact["changes"]}
        assert by_learner[world.learners["li"]] == {
            "learner": world.learners["li"],
            "evaluation": committed["li"],
            "before": "10",
            "after": "13",
            "change": "3",
            "added": ["GZ-CA202"],
            "removed": [],
            "changed": [],
        }
        assert by_learner[world.learners["wang"]]["changed"] == ["GZ-CA900"]
        assert by_learner[world.learners["wang"]]["change"] == "-2"
        listing = world.get(shown["impact_csv"], "adminA")
        assert listing.status_code == 200
        rows = list(csv.DictReader(io.StringIO(listing.get_data(as_text=True))))
        assert {(r["learner_id"], r["change"], r["transfers_changed"]) for r in rows} == {
            (world.learners["li"], "3", ""),
            (world.learners["wang"], "-2", "GZ-CA900"),
        }
        # The bank's operators see the figures, not who the learners are.
        seen = world.get(f"/api/v1/policies/drafts/{shown['id']}", "operator").get_json()
        assert {c["learner"] for c in seen["impact"]["changes"]} == {None}
        assert world.get(f"/api/v1/policies/drafts/{shown['id']}", "adminB").status_code == 404
        # Until it is published, the only version (2026.1) is in force for the 2027 intake too.
        before = _evaluate(world, "li", commit=False, on="2027-10-01", intake=2027).get_json()
        assert before["result"]["policy"]["version"] == "2026.1"

        done = world.post(shown["publish"], "adminA", {})
        assert done.status_code == 200, done.get_json()
        index = done.get_json()["published_index"]
        [(_, data)] = world.services.ledger.entries(index, index + 1)
        assert decode_envelope(data).kind == EntryKind.POLICY_PUBLISHED
        with read_connection(world.services.engine) as connection:
            row = connection.execute(
                select(publication_t).where(publication_t.c.ledger_index == index)
            ).one()
        assert (row.version, row.content_hash, row.content) == (
            "2027.1",
            shown["content_hash"],
            text,
        )
        # Confirming again publishes nothing more.
        assert world.post(shown["publish"], "adminA", {}).get_json()["published_index"] == index

        # The second process, started before the publication, now lists and applies it.
        versions = _listed(second)[FIVE_YEAR]["versions"]
        assert [(v["version"], v["published"], v["origin"]) for v in versions] == [
            ("2026.1", True, "database"),  # published from the folder, its text stored
            ("2027.1", True, "database"),
        ]
        assert versions[0]["in_force_until"] == "2027-08-31"
        body = {
            "learner_id": world.learners["li"],
            "policy": FIVE_YEAR,
            "on": "2027-10-01",
            "intake": 2027,
        }
        there = second.post(
            "/api/v1/evaluations", json=body, headers=bearer(world.secret("registrarA"))
        )
        assert there.status_code == 201, there.get_json()
        assert there.get_json()["result"]["policy"]["version"] == "2027.1"
        assert there.get_json()["result"]["recognised_credits"] == "13"
        # Evaluations committed under 2026.1 rerun under their own version, forever.
        for evaluation in committed.values():
            again = second.post(
                f"/api/v1/evaluations/{evaluation}/rerun",
                headers=bearer(world.secret("registrarA")),
            )
            assert again.get_json()["identical"] is True
    finally:
        other.close()


def test_an_unknown_version_is_read_at_once_whatever_the_interval(
    world: World, services: Services
) -> None:
    other, second = _second_process(services, policy_refresh_seconds=3600.0)
    try:
        assert [v["version"] for v in _listed(second)[FIVE_YEAR]["versions"]] == ["2026.1"]
        assert (
            world.post(f"/api/v1/policies/{FIVE_YEAR}/publish", "operator", {}).status_code == 200
        )
        text = V2027.read_text(encoding="utf-8")
        draft = _upload(world, "operator", text, V2027_CASES.read_text(encoding="utf-8"))
        assert draft.status_code == 201, draft.get_json()
        assert world.post(draft.get_json()["publish"], "operator", {}).status_code == 200
        # Within its interval the listing has not looked again; naming the version does.
        assert [v["version"] for v in _listed(second)[FIVE_YEAR]["versions"]] == ["2026.1"]
        body = {
            "learner_id": world.learners["li"],
            "policy": FIVE_YEAR,
            "on": "2027-10-01",
            "version": "2027.1",
        }
        there = second.post(
            "/api/v1/evaluations/what-if",
            json=body,
            headers=bearer(world.secret("registrarA")),
        )
        assert there.status_code == 200, there.get_json()
        assert there.get_json()["result"]["policy"]["version"] == "2027.1"
    finally:
        other.close()


def test_a_broken_file_at_start_up_is_quarantined_and_the_others_load(
    services: Services, engine_name: str
) -> None:
    folder = services.settings.policies_path
    good = V2026.read_text(encoding="utf-8")
    (folder / "broken.toml").write_text(
        good.replace(FIVE_YEAR, "broken-policy").replace("credits = 3\n", "credits = -3\n", 1),
        encoding="utf-8",
    )
    (folder / "not-toml.toml").write_text("id = \n", encoding="utf-8")
    other, client = _second_process(services)
    try:
        health = client.get("/healthz")
        assert health.status_code == 200
        quarantined = {
            q["source"]: q["errors"] for q in health.get_json()["policies"]["quarantined"]
        }
        line = 1 + good.splitlines().index("credits = 3")
        assert quarantined["broken.toml"] == [
            {
                "field": "broken.toml:programme.courses.0.credits",
                "reason": "Must be greater than or equal to 0.",
                "line": line,
            }
        ]
        assert quarantined["not-toml.toml"][0]["line"] == 1
        assert health.get_json()["policies"]["versions"] == 1
        listed = client.get("/api/v1/policies").get_json()
        assert [p["id"] for p in listed["policies"]] == [FIVE_YEAR]
        assert {q["source"] for q in listed["quarantined"]} == {"broken.toml", "not-toml.toml"}
    finally:
        other.close()


def test_a_cohort_is_evaluated_under_its_intakes_version(
    world: World, services: Services, engine_name: str
) -> None:
    assert world.post(f"/api/v1/policies/{FIVE_YEAR}/publish", "operator", {}).status_code == 200
    text = V2027.read_text(encoding="utf-8")
    draft = _upload(world, "adminA", text, V2027_CASES.read_text(encoding="utf-8"))
    assert world.post(draft.get_json()["publish"], "adminA", {}).status_code == 200
    jobs = {}
    for intake in (2026, 2027):
        body = {
            "policy": FIVE_YEAR,
            "on": "2027-10-01",
            "intake": intake,
            "learners": [world.learners["li"]],
        }
        queued = world.post("/api/v1/cohorts", "registrarA", body)
        assert queued.status_code == 202, queued.get_json()
        jobs[intake] = queued.get_json()
        assert jobs[intake]["applies_on"] == f"{intake}-09-01"
    assert (jobs[2026]["policy_version"], jobs[2027]["policy_version"]) == ("2026.1", "2027.1")
    assert (
        run_pending(
            services.engine,
            services.policies,
            limit=2,
            version=lambda policy_id, version: (
                services.catalogue.version(policy_id, version).policy
            ),
        )
        == 2
    )
    for intake, credits in ((2026, "10"), (2027, "13")):
        rows = world.get(f"/api/v1/cohorts/{jobs[intake]['id']}/results.csv", "registrarA")
        [row] = list(csv.DictReader(io.StringIO(rows.get_data(as_text=True))))
        assert row["recognised_credits"] == credits
