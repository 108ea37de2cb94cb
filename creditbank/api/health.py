"""``/healthz``: whether this process can serve, and the state of the bank's background work.

200 while the database answers and the integrity audit found nothing wrong; 503 when the
database is unreachable or the audit raised its alarm (with the first bad index), so load
balancers and monitoring see both. The checkpoint's age, the scheduler leader and its
heartbeat age are reported for monitoring to alert on, and so is each read replica (in use,
its lag, why it is left out); they do not make a serving process unhealthy (a restart would
not fix them). So are the policy versions loaded and the policy files quarantined at
start-up (set aside with their errors while the others load).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from creditbank.clock import as_utc, utc_now
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.operations.audit import read_status
from creditbank.operations.lease import read_lease
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _age(moment: Any) -> float | None:
    return None if moment is None else round((utc_now() - as_utc(moment)).total_seconds(), 3)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 with the log, scheduler and audit state; 503 on a dead database or an audit alarm."""
    body: dict[str, Any] = {"status": "ok"}
    try:
        with read_connection(services().engine) as connection:
            head = read_head(connection)
            checkpoint = latest_checkpoint(connection)
            lease = read_lease(connection)
            audit = read_status(connection)
        catalogue = services().catalogue
        versions = sum(len(v) for v in catalogue.all_versions().values())
        quarantined = catalogue.quarantined()
    except SQLAlchemyError as exc:
        log.error("health check: database unreachable: %s", exc.__class__.__name__)
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    body["database"] = "ok"
    body["log"] = {
        "size": head.size,
        "checkpoint_size": None if checkpoint is None else checkpoint.size,
        "checkpoint_age_seconds": None if checkpoint is None else _age(checkpoint.created_at),
    }
    now = utc_now()
    body["scheduler"] = (
        {"leader": None, "heartbeat_age_seconds": None}
        if lease is None
        else {
            "leader": lease.holder if lease.valid(now) else None,
            "last_leader": {"holder": lease.holder, "host": lease.host, "pid": lease.pid},
            "heartbeat_age_seconds": _age(lease.renewed_at),
            "lease_expires_in_seconds": round((lease.expires_at - now).total_seconds(), 3),
        }
    )
    body["policies"] = {
        "versions": versions,
        "quarantined": [
            {"source": item.source, "errors": [p.as_dict() for p in item.problems]}
            for item in quarantined
        ],
    }
    body["audit"] = {
        "status": "never-run" if audit.checked_at is None else audit.status,
        "audited_size": audit.audited_size,
        "checked_age_seconds": _age(audit.checked_at),
        "full_pass_age_seconds": _age(audit.full_pass_at),
    }
    reads = services().reads
    if reads.has_replicas:  # a replica out of use is for monitoring; the primary answers
        body["replicas"] = [
            {
                "replica": r.name,
                "in_use": r.in_use,
                "lag_seconds": None if r.lag_seconds is None else round(r.lag_seconds, 3),
                "problem": r.problem,
            }
            for r in reads.status()
        ]
    if audit.failed:
        body["status"] = "unhealthy"
        body["audit"]["first_bad_index"] = audit.finding_index
        body["audit"]["finding"] = audit.finding
        return jsonify(body), 503
    return jsonify(body), 200
