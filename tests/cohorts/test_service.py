"""Cohort jobs: who may submit, and a job's states from queued to done or failed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from creditbank.clock import utc_now
from creditbank.cohorts.service import HEADER, job_view, list_jobs, results_csv, run_pending, submit
from creditbank.errors import Forbidden, InvalidInput, NotFound
from creditbank.learners.service import ConsentScope, grant_consent
from tests.api.world import World

POLICY = "cq-3plus2-industrial-robotics"  # a policy of CQ-GZ-001
A, B = "CQ-GZ-001", "SC-GZ-001"
ON = date(2026, 9, 1)


@pytest.fixture
def world(base_world: World) -> World:
    """Li consents to A's evaluations; Wang gives no consent."""
    now = utc_now()
    grant_consent(
        base_world.services.ledger,
        base_world.learners["li"],
        A,
        ConsentScope.EVALUATE,
        now + timedelta(days=30),
        now=now,
    )
    return base_world


def _submit(world: World, institution: str = A, learners: list[str] | None = None) -> object:
    services = world.services
    return submit(
        services.engine,
        services.policies,
        institution=institution,
        submitted_by="registrar",
        policy_id=POLICY,
        on=ON,
        learners=learners,
    )


def test_a_job_is_queued_then_run_once_to_done(world: World, engine_name: str) -> None:
    services = world.services
    job = _submit(world)
    assert (job.status, job.total, job.done, job.finished_at) == ("queued", 1, 0, None)
    assert run_pending(services.engine, services.policies) == 1
    assert run_pending(services.engine, services.policies) == 0
    done = job_view(services.engine, job.id, A)
    assert (done.status, done.done, done.error) == ("done", 1, None)
    assert done.finished_at is not None
    lines = results_csv(services.engine, job.id, A).splitlines()
    assert lines[0] == ",".join(HEADER)
    assert [line.split(",")[0] for line in lines[1:]] == [world.learners["li"]]


def test_a_job_whose_policy_is_gone_fails_with_the_reason(world: World) -> None:
    job = _submit(world)
    assert run_pending(world.services.engine, {}) == 1
    failed = job_view(world.services.engine, job.id, A)
    assert failed.status == "failed" and failed.error is not None and POLICY in failed.error


def test_only_consenting_learners_and_the_policy_owner(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        _submit(world, learners=[world.learners["li"], world.learners["wang"]])
    assert [p.field for p in refused.value.problems] == ["learners"]
    with pytest.raises(Forbidden):
        _submit(world, institution=B)
    assert list_jobs(world.services.engine, A) == []


def test_another_institutions_job_is_not_found(world: World) -> None:
    first, second = _submit(world), _submit(world)
    with pytest.raises(NotFound):
        job_view(world.services.engine, first.id, B)
    assert list_jobs(world.services.engine, B) == []
    assert {job.id for job in list_jobs(world.services.engine, A)} == {first.id, second.id}
