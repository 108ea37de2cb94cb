"""Migration 0026 chunks the cohorts still queued or running, and going down keeps results.

A job is run half-way on the old schema's terms (its first learners' lines in the job row),
then the upgrade gives it chunks for the learners not done yet; running it finishes the rest,
each learner once. Going back down merges the chunks' results into the job row.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from alembic import command
from sqlalchemy import text

from creditbank.clock import utc_now
from creditbank.cohorts.service import results_csv, run_pending
from creditbank.storage.database import read_connection, write_transaction
from creditbank.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from creditbank.wiring import Services
from tests.api.world import World

A = "CQ-GZ-001"


def _insert_job(services: Services, job_id: str, learners: list[str], done: int) -> None:
    with write_transaction(services.engine) as connection:
        connection.execute(
            text(
                "INSERT INTO cohort_job (id, institution, submitted_by, policy_id, evaluated_on,"
                " learners, status, total, done, results, submitted_at) VALUES (:id, :inst, 'r',"
                " 'cq-3plus2-industrial-robotics', :on, :learners, :status, :total, :done,"
                " :results, :at)"
            ),
            {
                "id": job_id,
                "inst": A,
                "on": date(2026, 9, 1),
                "learners": json.dumps(learners),
                "status": "running" if done else "queued",
                "total": len(learners),
                "done": done,
                "results": "".join(f"{learner},,,,,earlier\n" for learner in learners[:done]),
                "at": utc_now(),
            },
        )


def test_jobs_waiting_at_the_upgrade_are_chunked_and_finish_once(
    base_world: World, engine_name: str
) -> None:
    services = base_world.services
    engine = services.engine
    command.downgrade(alembic_config(engine), "0025_indicator_totals")
    learners = [f"learner-{n:04d}" for n in range(120)]
    _insert_job(services, "00000000-0000-0000-0000-000000000001", learners, 50)
    _insert_job(services, "00000000-0000-0000-0000-000000000002", learners[:10], 0)
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)

    assert run_pending(engine, services.policies) == 3  # 70 left of the first, 10 of the second
    halfway = results_csv(engine, "00000000-0000-0000-0000-000000000001", A).splitlines()[1:]
    assert Counter(line.split(",")[0] for line in halfway) == Counter(learners)
    assert halfway[:50] == [f"{learner},,,,,earlier" for learner in learners[:50]]

    command.downgrade(alembic_config(engine), "0025_indicator_totals")
    with read_connection(engine) as connection:
        kept = connection.execute(
            text("SELECT results FROM cohort_job WHERE id = :id"),
            {"id": "00000000-0000-0000-0000-000000000001"},
        ).scalar_one()
    assert kept.splitlines() == halfway
    upgrade(engine)
