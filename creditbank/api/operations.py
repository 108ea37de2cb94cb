"""``/api/v1/operations``: the scheduled jobs and their recorded runs, for the bank's operators."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from creditbank.api.access import require_operator
from creditbank.api.openapi import documented
from creditbank.api.params import int_param
from creditbank.api.schemas.operations import JobRunsOut, JobsOut
from creditbank.clock import utc_now
from creditbank.errors import InvalidParameter
from creditbank.operations import runs
from creditbank.operations.lease import read_lease
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("operations", __name__, url_prefix="/api/v1/operations")
STATUSES = ("running", "ok", "error", "abandoned")
MAX_RUNS = 1000


@blueprint.get("/jobs")
@documented("Scheduled jobs, their latest runs and the leader", response=JobsOut, auth="bearer")
def jobs() -> Response:
    """Every registered job with its schedule and latest run, and the scheduler lease."""
    require_operator()
    s = services()
    with read_connection(s.engine) as connection:
        latest = runs.last_runs(connection)
        lease = read_lease(connection)
    body: dict[str, Any] = {
        "leader": None if lease is None else {**asdict(lease), "valid": lease.valid(utc_now())},
        "jobs": [
            {
                "name": spec.name,
                "description": spec.description,
                "schedule": spec.trigger.describe(),
                "leader_only": spec.leader_only,
                "last_run": None if spec.name not in latest else asdict(latest[spec.name]),
            }
            for spec in s.jobs()
        ],
    }
    return jsonify(JobsOut().dump(body))


@blueprint.get("/runs")
@documented(
    "Recent job runs, newest first",
    response=JobRunsOut,
    auth="bearer",
    query=(
        ("job", {"type": "string", "maxLength": 64}, False),
        ("status", {"type": "string", "enum": list(STATUSES)}, False),
        ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_RUNS}, False),
    ),
)
def job_runs() -> Response:
    """The latest runs (100 unless ``limit``), optionally of one job or one status."""
    require_operator()
    job = request.args.get("job")
    if job is not None and not 0 < len(job) <= 64:
        raise InvalidParameter("job", "must be a job name of 1 to 64 characters")
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidParameter("status", f"must be one of {', '.join(STATUSES)}")
    limit = int_param("limit") if "limit" in request.args else 100
    if not 1 <= limit <= MAX_RUNS:
        raise InvalidParameter("limit", f"must be between 1 and {MAX_RUNS}")
    with read_connection(services().engine) as connection:
        found = runs.list_runs(connection, job=job, status=status, limit=limit)
    return jsonify(JobRunsOut().dump({"runs": [asdict(run) for run in found]}))
