"""A populated bank to back up, and a second, empty instance with the same keys to restore into."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.config import Settings
from creditbank.wiring import Services, open_services
from tests.api.world import World, course
from tests.conftest import fresh_postgres_schema, make_settings
from tests.templates import bound_app

POLICY = "cq-3plus2-industrial-robotics"


def client_for(services: Services) -> FlaskClient:
    """A test client of an application bound to ``services``."""
    return bound_app(services).test_client()


@pytest.fixture
def world(base_world: World, services: Services) -> World:
    """Institutions, every role, two learners signed in, records, a correction, an evaluation
    and its appeal (an evaluation row pointing at another), and a checkpoint."""
    built = base_world
    until = (utc_now() + timedelta(days=30)).isoformat()
    consent = {"institution": "CQ-GZ-001", "scope": "evaluate", "valid_until": until}
    assert built.post("/api/v1/learners/me/consents", "li", consent).status_code == 201
    items = [
        course(course_code="ZZ-JD102", title_zh="电工基础", level="zhongzhi", credits="3.5"),
        course(course_code="ZZ-TY101", title_zh="体育与健康", level="zhongzhi", credits="2"),
    ]
    body = {
        "records": [
            {"learner_id": built.learners[n], "external_id": f"{n}-{i}", **item}
            for n in ("li", "wang")
            for i, item in enumerate(items)
        ]
    }
    posted = built.post("/api/v1/records", "posterA", body, **{"Idempotency-Key": "setup"})
    assert posted.status_code == 201, posted.get_json()
    first = posted.get_json()["records"][0]["id"]
    correction = {"outcome": {**items[0], "grade": {"scale": "percent", "value": "70"}}}
    fixed = built.post(
        f"/api/v1/records/{first}/corrections", "posterA", {**correction, "reason": "录入错误"}
    )
    assert fixed.status_code == 200, fixed.get_json()
    assert built.post(f"/api/v1/policies/{POLICY}/publish", "operator", {}).status_code == 200
    request = {"learner_id": built.learners["li"], "policy": POLICY, "on": "2026-09-01"}
    committed = built.post("/api/v1/evaluations", "registrarA", request)
    assert committed.status_code == 201, committed.get_json()
    evaluation = committed.get_json()["id"]
    appeal = built.post(f"/api/v1/evaluations/{evaluation}/appeal", "li", {"why": "请复核"})
    assert appeal.status_code == 201, appeal.get_json()
    services.ledger.publish_checkpoint()
    return built


@pytest.fixture
def target_postgres_url() -> Iterator[str]:
    """A second fresh PostgreSQL schema (the source may use the first)."""
    yield from fresh_postgres_schema()


def empty_instance(source: Settings, folder: Path, database_url: str | None = None) -> Services:
    """A new instance whose keys/ folder is copied from ``source`` (the key backup) and whose
    database is empty (never migrated)."""
    settings = make_settings(folder, database_url)
    folder.mkdir(parents=True)
    shutil.copytree(source.instance_path / "keys", folder / "keys")
    return open_services(settings)


# Restore tests run from one engine to another; ``engine_name`` is the source instance's
# engine, read by the shared ``settings`` fixture (only tests here that ask for it).
PAIRS = [
    pytest.param(("sqlite", "sqlite"), id="sqlite-to-sqlite"),
    pytest.param(("sqlite", "postgres"), id="sqlite-to-postgres", marks=pytest.mark.postgres),
    pytest.param(("postgres", "postgres"), id="postgres-to-postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=PAIRS)
def pair(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(source engine, target engine)."""
    return tuple(request.param)  # type: ignore[return-value]


@pytest.fixture
def engine_name(pair: tuple[str, str]) -> str:
    """The source instance's engine (read by the shared ``settings`` fixture)."""
    return pair[0]


@pytest.fixture
def target(
    pair: tuple[str, str], services: Services, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Services]:
    """An empty instance on the target engine with the source's keys (transcript keys too)."""
    url = request.getfixturevalue("target_postgres_url") if pair[1] == "postgres" else None
    restored = empty_instance(services.settings, tmp_path / "restored", url)
    yield restored
    restored.close()
