"""The scheduler of one process, on APScheduler: a lease heartbeat and the registered jobs.

Every scheduler process (each serving worker, or ``creditbank scheduler run``) schedules every
job at the same wall-clock instants. A leader job runs only in the process holding the lease,
and only after it claims the job's time slot in ``job_run``; jobs of every process (cohort
polling, whose queue is claimed row by row) run everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from creditbank.clock import utc_now
from creditbank.operations import runs
from creditbank.operations.jobs import EPOCH, Daily, Every, JobSpec
from creditbank.operations.lease import Holder, release, try_acquire
from creditbank.operations.settings import OperationsSettings
from creditbank.storage.database import read_connection

log = logging.getLogger(__name__)


class Scheduler:
    """Runs ``jobs`` for one process; leader jobs only while it holds the lease.

    ``engine`` opens the database on first use, so a serving process starts its scheduler
    before anything is opened.
    """

    def __init__(
        self,
        engine: Callable[[], Engine],
        jobs: Sequence[JobSpec],
        settings: OperationsSettings,
        *,
        blocking: bool = False,
    ) -> None:
        self._engine = engine
        self.jobs = {spec.name: spec for spec in jobs}
        self.settings = settings
        self.holder = Holder.this_process()
        self._leading_until: datetime | None = None
        self._state = threading.Lock()
        self._blocking = blocking
        self._aps: BaseScheduler | None = None

    # --- leadership -----------------------------------------------------------------------

    @property
    def leading(self) -> bool:
        """True while this process holds a lease it renewed recently enough to trust."""
        with self._state:
            return self._leading_until is not None and utc_now() < self._leading_until

    def heartbeat(self) -> bool:
        """Take or renew the lease; return whether this process leads."""
        started = utc_now()
        try:
            leading, acquired = try_acquire(
                self._engine(), self.holder, self.settings.lease_seconds, now=started
            )
        except Exception:
            log.exception("scheduler lease: renewal failed")
            leading, acquired = False, False
        with self._state:
            was = self._leading_until is not None and started < self._leading_until
            # Trust the lease for less than it lasts: a renewal that stalls must not overlap
            # with a successor's first run.
            margin = min(self.settings.lease_renew_seconds, self.settings.lease_seconds / 2)
            self._leading_until = (
                started + timedelta(seconds=self.settings.lease_seconds - margin)
                if leading
                else None
            )
        if acquired:
            log.info("scheduler: %s now leads", self.holder.id, extra={"holder": self.holder.id})
            abandoned = runs.abandon_others(self._engine(), self.holder)
            if abandoned:
                log.warning(
                    "scheduler: %d runs of an earlier leader were left unfinished", abandoned
                )
        elif was and not leading:
            log.warning("scheduler: %s lost the lease", self.holder.id)
        return leading

    # --- running --------------------------------------------------------------------------

    def run_job(self, name: str, *, force: bool = False) -> runs.RunView | None:
        """Run one job now as the schedule would (``force``: as leader, in its own slot)."""
        spec = self.jobs[name]
        engine = self._engine()
        if spec.leader_only:
            if not force and not self.leading:
                return None
            now = utc_now()
            slot = (
                f"manual {now.isoformat(timespec='microseconds')}"
                if force
                else spec.trigger.slot(now)
            )
            run_id = runs.claim_slot(engine, spec.name, slot, self.holder)
            if run_id is None:
                return None  # another leader ran this slot
            status, detail = _call(spec)
            runs.finish(engine, run_id, status, detail)
        else:
            started = utc_now()
            status, detail = _call(spec)
            if detail is None and status == "ok":
                return None
            runs.record(engine, spec.name, self.holder, started, status=status, detail=detail)
        with read_connection(engine) as connection:
            found = runs.list_runs(connection, job=spec.name, limit=1)
        return found[0] if found else None

    def _tick(self, name: str) -> None:
        try:
            self.run_job(name)
        except Exception:
            # Recording failed (the database is away): say so and try again next time.
            log.exception("scheduler: job %s could not run", name)

    # --- APScheduler ----------------------------------------------------------------------

    def start(self) -> None:
        """Schedule the heartbeat and the jobs and start (blocks for a blocking scheduler)."""
        aps: BaseScheduler = (
            BlockingScheduler(timezone="UTC")
            if self._blocking
            else BackgroundScheduler(timezone="UTC", daemon=True)
        )
        aps.add_job(
            self.heartbeat,
            IntervalTrigger(seconds=self.settings.lease_renew_seconds, timezone="UTC"),
            id="lease",
            next_run_time=utc_now(),
            max_instances=1,
            coalesce=True,
        )
        for spec in self.jobs.values():
            aps.add_job(
                self._tick,
                _trigger(spec),
                args=[spec.name],
                id=spec.name,
                max_instances=1,
                coalesce=True,
                # A daily job missed while every process was down runs when one comes back
                # within the hour; interval jobs just wait for their next slot.
                misfire_grace_time=3600
                if isinstance(spec.trigger, Daily)
                else max(1, int(spec.trigger.seconds // 2)),
            )
        self._aps = aps
        log.info("scheduler %s started with %d jobs", self.holder.id, len(self.jobs))
        aps.start()

    def shutdown(self) -> None:
        """Stop the jobs and give the lease up, so another process takes over at once."""
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=True)
        if self.leading:
            try:
                release(self._engine(), self.holder)
            except Exception:
                log.exception("scheduler: could not release the lease")
        with self._state:
            self._leading_until = None


def _trigger(spec: JobSpec) -> IntervalTrigger | CronTrigger:
    if isinstance(spec.trigger, Every):
        # The same start everywhere puts every process's runs on the same instants.
        return IntervalTrigger(seconds=spec.trigger.seconds, start_date=EPOCH, timezone="UTC")
    return CronTrigger(hour=spec.trigger.hour, minute=0, timezone="UTC")


def _call(spec: JobSpec) -> tuple[str, str | None]:
    try:
        return "ok", spec.run()
    except Exception as exc:
        log.exception("job %s failed", spec.name, extra={"job": spec.name})
        detail = getattr(exc, "detail", None) or f"{exc.__class__.__name__}: {exc}"
        return "error", str(detail)
