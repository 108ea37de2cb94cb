"""Background jobs of a serving process, on APScheduler.

Every serving process polls for queued cohort jobs; claiming a job is one conditional UPDATE
in the database, so however many processes poll, each job runs once. (Leader election for
jobs that must run on one process only is the operations work's.)
"""

from __future__ import annotations

import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from creditbank.cohorts.service import run_pending
from creditbank.services import LazyServices

log = logging.getLogger(__name__)
_started: set[int] = set()
_lock = threading.Lock()


def start(lazy: LazyServices, *, interval_seconds: float = 2.0) -> BackgroundScheduler | None:
    """Start this process's scheduler once (a no-op after the first call)."""
    with _lock:
        if id(lazy) in _started:
            return None
        _started.add(id(lazy))
    scheduler = BackgroundScheduler(daemon=True)

    def cohorts() -> None:
        services = lazy.get()
        ran = run_pending(services.engine, services.policies, limit=5)
        if ran:
            log.info("ran %d cohort jobs", ran)

    scheduler.add_job(
        cohorts, "interval", seconds=interval_seconds, id="cohorts", max_instances=1, coalesce=True
    )
    scheduler.start()
    return scheduler
