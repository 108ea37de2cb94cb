"""Who looked at me: institutions' reads under consent, kept and shown to the learner."""

from __future__ import annotations

from sqlalchemy import func, select

from creditbank.auth.access_log import access_t
from creditbank.cohorts.service import run_pending
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World
from tests.rights.helpers import A, B, grant, key_id, post_course

POLICY = "cq-3plus2-industrial-robotics"


def _reads(world: World, learner: str) -> list[dict[str, str]]:
    answer = world.get("/api/v1/learners/me/access-log", learner)
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["reads"])


def _rows(services: Services) -> int:
    with read_connection(services.engine) as connection:
        return int(connection.execute(select(func.count()).select_from(access_t)).scalar_one())


def test_every_consented_read_is_kept_with_who_when_consent_and_what(
    base_world: World, engine_name: str
) -> None:
    world = base_world
    li = world.learners["li"]
    record = post_course(world, "li", "reads-1")
    consent = grant(world, "li", B)
    size = world.size()

    for path in (
        f"/api/v1/learners/{li}",
        f"/api/v1/learners/{li}/records",
        f"/api/v1/records/{record}",
        f"/api/v1/learners/{li}/transfers",
    ):
        assert world.get(path, "registrarB").status_code == 200, path

    reads = _reads(world, "li")
    assert [(r["kind"], r["resource"]) for r in reads] == [
        ("transfers", li),
        ("record", record),
        ("records", li),
        ("account", li),
    ]  # newest first
    assert {(r["institution"], r["principal"], r["consent"]) for r in reads} == {
        (B, key_id(world, "registrarB"), consent)
    }
    assert all(r["at"] for r in reads)
    assert world.size() == size  # reads are kept apart from the log
    assert _reads(world, "wang") == []


def test_reads_that_need_no_consent_or_were_refused_are_not_kept(
    base_world: World, engine_name: str
) -> None:
    world = base_world
    li, wang = world.learners["li"], world.learners["wang"]
    record = post_course(world, "li", "reads-2")
    # The learner's own reads, and the poster reading what it posted: no consent involved.
    assert world.get(f"/api/v1/learners/{li}/records", "li").status_code == 200
    assert world.get(f"/api/v1/records/{record}", "posterA").status_code == 200
    # Refused: no consent.
    assert world.get(f"/api/v1/learners/{wang}/records", "registrarB").status_code == 403
    assert _rows(world.services) == 0
    assert _reads(world, "li") == [] and _reads(world, "wang") == []


def test_evaluation_reads_are_kept_and_a_failed_one_is_not(
    base_world: World, services: Services, engine_name: str
) -> None:
    world = base_world
    post_course(world, "li", "reads-3")
    consent = grant(world, "li", A, "evaluate")
    assert world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {}).status_code == 200
    body = {"learner_id": world.learners["li"], "policy": POLICY, "on": "2026-09-01"}

    refused = world.post(
        "/api/v1/evaluations/what-if",
        "registrarA",
        {**body, "exceptions": [{"type": "exclude", "target": "x", "why": "w", "record": "nope"}]},
    )
    assert refused.status_code == 400, refused.get_json()
    assert _rows(services) == 0  # consent was checked, but nothing was read out

    assert world.post("/api/v1/evaluations/what-if", "registrarA", body).status_code == 200
    [read] = _reads(world, "li")
    assert (read["kind"], read["resource"], read["consent"]) == (
        "evaluation-what-if",
        POLICY,
        consent,
    )
    assert read["principal"] == key_id(world, "registrarA")

    job = world.post("/api/v1/cohorts", "registrarA", {"policy": POLICY, "on": "2026-09-01"})
    assert job.status_code == 202, job.get_json()
    assert run_pending(services.engine, services.policies) == 1
    newest = _reads(world, "li")[0]
    assert (newest["kind"], newest["resource"], newest["institution"]) == (
        "cohort-evaluation",
        job.get_json()["id"],
        A,
    )
    assert _reads(world, "wang") == []  # in the cohort without consent: not read


def test_only_the_learner_sees_their_access_log(base_world: World) -> None:
    assert base_world.get("/api/v1/learners/me/access-log", "registrarB").status_code == 403
    assert base_world.get("/api/v1/learners/me/access-log", None).status_code == 401
