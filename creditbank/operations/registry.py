"""The registry of scheduled jobs: every job the bank runs, in one list.

Work of other parts of the service is added here, one line each: :func:`leader_jobs` is the
registration point for jobs that must run once across all processes (status lists and backups
have their slots below), :func:`process_jobs` for jobs every scheduler process runs.
"""

from __future__ import annotations

from creditbank.backup.schedule import backup_job
from creditbank.clock import utc_now
from creditbank.cohorts.service import run_pending
from creditbank.config import Settings
from creditbank.operations import audit, checkpoints, expiry, runs
from creditbank.operations.jobs import Daily, Every, JobSpec
from creditbank.services import Services
from creditbank.transcripts.status_lists import refresh_status_lists


def _cohorts(services: Services) -> str | None:
    ran = run_pending(services.engine, services.policies, limit=5)
    return f"ran {ran} cohort jobs" if ran else None


def _prune(services: Services) -> str | None:
    days = services.settings.operations.job_run_retention_days
    deleted = runs.prune(services.engine, days)
    return f"deleted {deleted} job runs older than {days} days" if deleted else None


def _status_lists(services: Services) -> str | None:
    refreshed = refresh_status_lists(services.engine, services.issuer_identity(), now=utc_now())
    return f"re-signed {refreshed} status lists" if refreshed else None


def status_list_jobs(settings: Settings) -> list[JobSpec]:
    """Re-sign the transcripts' status lists whose bits or signing key changed.

    Revocations sign their lists as they commit, so this catches key rotations and lists
    nothing signed yet; verification only reads them.
    """
    return [
        JobSpec(
            "status-lists",
            "re-sign changed transcript status lists",
            _status_lists,
            Every(60.0),
        )
    ]


def backup_jobs(settings: Settings) -> list[JobSpec]:
    """Scheduled backups (creditbank.backup): a daily export into the backups folder."""
    return [
        JobSpec(
            "backup",
            f"export the log to {settings.backups_path}, keeping {settings.backups_kept}",
            backup_job,
            Daily(settings.operations.nightly_hour_utc),
        )
    ]


def leader_jobs(settings: Settings) -> list[JobSpec]:
    """Jobs run by the leader only, each time slot at most once across all processes."""
    ops = settings.operations
    jobs = [
        JobSpec(
            "checkpoint",
            "sign a checkpoint when the log has grown",
            checkpoints.publish_if_grown,
            Every(ops.checkpoint_job_seconds),
        ),
        JobSpec(
            "audit",
            "audit new log entries and a random sample of old ones",
            audit.incremental_audit,
            Every(ops.audit_seconds),
        ),
        JobSpec(
            "audit-full",
            "recompute the whole log and check every checkpoint",
            audit.full_audit,
            Daily(ops.nightly_hour_utc),
        ),
        JobSpec(
            "expire-consents",
            "record consents past their end date in the log",
            expiry.expire_consents,
            Every(ops.expiry_seconds),
        ),
        JobSpec(
            "flag-certificates",
            "flag certificates past their expiry date",
            expiry.flag_certificates,
            Daily(ops.nightly_hour_utc),
        ),
        JobSpec(
            "prune-job-runs",
            f"delete job runs older than {ops.job_run_retention_days} days",
            _prune,
            Daily(ops.nightly_hour_utc),
        ),
    ]
    jobs += status_list_jobs(settings)
    jobs += backup_jobs(settings)
    return jobs


def process_jobs(settings: Settings) -> list[JobSpec]:
    """Jobs every scheduler process runs (their work is claimed item by item)."""
    return [
        JobSpec(
            "cohorts",
            "run queued cohort evaluations (each claimed by one process)",
            _cohorts,
            Every(settings.operations.cohort_seconds),
            leader_only=False,
        )
    ]


def all_jobs(settings: Settings) -> list[JobSpec]:
    """Every job a scheduler process schedules."""
    return leader_jobs(settings) + process_jobs(settings)
