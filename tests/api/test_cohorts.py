"""Cohort evaluations: submitted, run once in the background, progress and CSV results."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from creditbank.clock import utc_now
from creditbank.cohorts.service import run_pending
from creditbank.wiring import Services
from tests.api.world import World, course

POLICY = "cq-3plus2-industrial-robotics"


@pytest.fixture
def world(base_world: World) -> World:
    built = base_world
    until = (utc_now() + timedelta(days=30)).isoformat()
    for name in ("li", "wang"):
        built.post(
            "/api/v1/learners/me/consents",
            name,
            {"institution": "CQ-GZ-001", "scope": "evaluate", "valid_until": until},
        )
    electrics = course(
        course_code="ZZ-JD102",
        title_zh="电工基础",
        level="zhongzhi",
        credits="3.5",
        completed_on="2023-07-01",
        term="2022-2023-2",
    )
    built.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": built.learners["li"], **electrics}]},
        **{"Idempotency-Key": "cohort-setup"},
    )
    return built


def test_cohort_runs_once_and_exports_csv(
    world: World, services: Services, engine_name: str
) -> None:
    size = world.size()
    submitted = world.post("/api/v1/cohorts", "registrarA", {"policy": POLICY, "on": "2026-09-01"})
    assert submitted.status_code == 202, submitted.get_json()
    job = submitted.get_json()
    assert (job["status"], job["total"], job["done"]) == ("queued", 2, 0)

    assert run_pending(services.engine, services.policies) == 1
    assert run_pending(services.engine, services.policies) == 0  # claimed once, run once
    progress = world.get(f"/api/v1/cohorts/{job['id']}", "registrarA").get_json()
    assert (progress["status"], progress["done"]) == ("done", 2)
    answer = world.get(f"/api/v1/cohorts/{job['id']}/results.csv", "registrarA")
    assert answer.mimetype == "text/csv"
    rows = {row["learner_id"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    assert rows[world.learners["li"]]["recognised_credits"] == "4"  # 电工基础 → GZ-JD102
    assert rows[world.learners["wang"]]["recognised_credits"] == "0"
    assert world.size() == size  # what-if only: nothing entered the log


def test_cohort_access(world: World, engine_name: str) -> None:
    job = world.post("/api/v1/cohorts", "registrarA", {"policy": POLICY}).get_json()
    assert world.get(f"/api/v1/cohorts/{job['id']}", "registrarB").status_code == 404
    assert world.get(f"/api/v1/cohorts/{job['id']}", "li").status_code == 403
    assert world.post("/api/v1/cohorts", "posterA", {"policy": POLICY}).status_code == 403
    assert world.post("/api/v1/cohorts", "registrarB", {"policy": POLICY}).status_code == 403
    bad = world.post("/api/v1/cohorts", "registrarA", {"policy": POLICY, "learners": ["nobody"]})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "learners"


def test_consent_withdrawn_after_queueing_skips_the_learner(
    world: World, services: Services, engine_name: str
) -> None:
    job = world.post("/api/v1/cohorts", "registrarA", {"policy": POLICY}).get_json()
    assert job["total"] == 2
    consents = world.get("/api/v1/learners/me/consents", "wang").get_json()
    consent = next(c for c in consents["consents"] if c["institution"] == "CQ-GZ-001")
    withdrawn = world.post(f"/api/v1/learners/me/consents/{consent['id']}/withdraw", "wang", {})
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert run_pending(services.engine, services.policies) == 1
    answer = world.get(f"/api/v1/cohorts/{job['id']}/results.csv", "registrarA")
    rows = {row["learner_id"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    assert rows[world.learners["li"]]["skipped"] == ""
    assert rows[world.learners["li"]]["result_hash"]
    skipped = rows[world.learners["wang"]]
    assert skipped["skipped"] == "no evaluate consent for this institution when the evaluation ran"
    assert skipped["recognised_credits"] == skipped["result_hash"] == ""
