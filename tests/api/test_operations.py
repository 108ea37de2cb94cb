"""``/api/v1/operations``: jobs and runs, for the bank's operators only."""

from __future__ import annotations

from flask.testing import FlaskClient

from creditbank.operations.scheduler import Scheduler
from creditbank.wiring import Services
from tests.api.world import build_world
from tests.ledger.helpers import entries


def test_operators_see_jobs_and_runs(client: FlaskClient, services: Services) -> None:
    world = build_world(client, services)
    scheduler = Scheduler(lambda: services.engine, services.jobs(), services.settings.operations)
    assert scheduler.heartbeat()
    services.ledger.append(entries(2))
    assert scheduler.run_job("checkpoint") is not None
    scheduler.run_job("audit")

    assert world.get("/api/v1/operations/jobs", None).status_code == 401
    assert world.get("/api/v1/operations/jobs", "adminA").status_code == 403
    jobs = world.get("/api/v1/operations/jobs", "operator").get_json()
    assert jobs["leader"]["holder"] == scheduler.holder.id and jobs["leader"]["valid"] is True
    by_name = {job["name"]: job for job in jobs["jobs"]}
    assert by_name["checkpoint"]["last_run"]["status"] == "ok"
    assert by_name["audit-full"]["last_run"] is None
    assert by_name["audit"]["schedule"] == "every 10s"  # the default interval

    assert world.get("/api/v1/operations/runs", "registrarA").status_code == 403
    listed = world.get("/api/v1/operations/runs?job=checkpoint", "operator").get_json()["runs"]
    assert [run["job"] for run in listed] == ["checkpoint"]
    assert "checkpoint #" in listed[0]["detail"] and listed[0]["pid"] > 0
    limited = world.get("/api/v1/operations/runs?limit=1", "operator").get_json()["runs"]
    assert len(limited) == 1 and limited[0]["job"] == "audit"
    bad = world.get("/api/v1/operations/runs?status=sideways", "operator")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "status"
    assert world.get("/api/v1/operations/runs?limit=0", "operator").status_code == 400
