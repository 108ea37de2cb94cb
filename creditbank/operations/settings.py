"""Operations settings: background jobs, leader lease, request limits (from the environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from creditbank.errors import InvalidInput


@dataclass(frozen=True)
class OperationsSettings:
    """How often jobs run, how the leader lease behaves, and the limits of the HTTP edge."""

    # Seconds between checks whether the log grew and needs a fresh signed checkpoint.
    checkpoint_job_seconds: float = 5.0
    # Seconds between incremental audits, and how many old entries each one samples. The
    # audit and the dashboard's refresh cost what changed since their last run, so the
    # interval sets how long one run occupies a worker's thread, not what they cost in all: a
    # minute of a busy bank's changes at once held a worker's interpreter for seconds (the
    # requests it served waited); ten seconds' worth is a sixth of that.
    audit_seconds: float = 10.0
    audit_sample: int = 64
    # The hour (UTC) of the nightly jobs: the full audit pass and expiry sweeps.
    nightly_hour_utc: int = 19  # 03:00 in Beijing
    expiry_seconds: float = 3600.0
    cohort_seconds: float = 2.0
    # Seconds between refreshes of the dashboard's indicators (see audit_seconds).
    dashboard_seconds: float = 10.0
    # Seconds between checks that the log's partitions reach far enough ahead (PostgreSQL).
    partition_seconds: float = 600.0
    # The leader lease: how long it lasts without renewal, and how often it is renewed.
    lease_seconds: float = 15.0
    lease_renew_seconds: float = 5.0
    # Days of job_run history kept.
    job_run_retention_days: int = 14
    # Requests a second per caller (principal, else address), in windows of ``burst``
    # requests, counted in shared storage; 0 requests/s turns it off.
    rate_limit_per_second: float = 0.0
    rate_limit_burst: int = 0
    # Refused authentications an address may cause per minute (0: no limit).
    auth_failures_per_minute: int = 30
    # Self-registrations (anonymous account openings) one client address may make an hour.
    registrations_per_hour: int = 10
    # Where the counts live: memory:// (one process) or redis://host:port/db (shared).
    rate_limit_storage: str = "memory://"
    rate_limit_prefix: str = "creditbank"
    # How many proxies in front set X-Forwarded-For (nginx: 1); 0 trusts no header.
    trusted_proxies: int = 0
    max_body_bytes: int = 32 * 1024 * 1024
    # A transcript of 200 records is about 0.5 MB of JSON-LD.
    max_verify_body_bytes: int = 2 * 1024 * 1024


def env_number(environ: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number from ``environ[name]``, ``default`` when unset or empty."""
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"environment variable {name} must be a number, got {raw!r}") from None
    if value < 0:
        raise InvalidInput(f"environment variable {name} must not be negative, got {raw!r}")
    return value


def operations_from_env(environ: Mapping[str, str]) -> OperationsSettings:
    """Read the ``CREDITBANK_*`` variables of the operations work."""
    d = OperationsSettings()
    rate = env_number(environ, "CREDITBANK_RATE_LIMIT", d.rate_limit_per_second)
    hour = int(env_number(environ, "CREDITBANK_NIGHTLY_HOUR", d.nightly_hour_utc))
    if hour > 23:
        raise InvalidInput(f"CREDITBANK_NIGHTLY_HOUR must be 0..23, got {hour}")
    return OperationsSettings(
        checkpoint_job_seconds=env_number(
            environ, "CREDITBANK_CHECKPOINT_JOB_SECONDS", d.checkpoint_job_seconds
        ),
        audit_seconds=env_number(environ, "CREDITBANK_AUDIT_SECONDS", d.audit_seconds),
        audit_sample=int(env_number(environ, "CREDITBANK_AUDIT_SAMPLE", d.audit_sample)),
        nightly_hour_utc=hour,
        expiry_seconds=env_number(environ, "CREDITBANK_EXPIRY_SECONDS", d.expiry_seconds),
        cohort_seconds=env_number(environ, "CREDITBANK_COHORT_SECONDS", d.cohort_seconds),
        dashboard_seconds=env_number(environ, "CREDITBANK_DASHBOARD_SECONDS", d.dashboard_seconds),
        partition_seconds=env_number(environ, "CREDITBANK_PARTITION_SECONDS", d.partition_seconds),
        lease_seconds=env_number(environ, "CREDITBANK_LEASE_SECONDS", d.lease_seconds),
        lease_renew_seconds=env_number(
            environ, "CREDITBANK_LEASE_RENEW_SECONDS", d.lease_renew_seconds
        ),
        job_run_retention_days=int(
            env_number(environ, "CREDITBANK_JOB_RUN_RETENTION_DAYS", d.job_run_retention_days)
        ),
        rate_limit_per_second=rate,
        # The burst defaults to twice a second's worth of requests.
        rate_limit_burst=int(env_number(environ, "CREDITBANK_RATE_BURST", max(2 * rate, 1)))
        if rate
        else 0,
        max_body_bytes=int(env_number(environ, "CREDITBANK_MAX_BODY_BYTES", d.max_body_bytes)),
        max_verify_body_bytes=int(
            env_number(environ, "CREDITBANK_MAX_VERIFY_BYTES", d.max_verify_body_bytes)
        ),
        auth_failures_per_minute=int(
            env_number(environ, "CREDITBANK_AUTH_FAILURES_PER_MINUTE", d.auth_failures_per_minute)
        ),
        registrations_per_hour=int(
            env_number(environ, "CREDITBANK_REGISTRATIONS_PER_HOUR", d.registrations_per_hour)
        ),
        rate_limit_storage=_storage_uri(environ, d.rate_limit_storage),
        rate_limit_prefix=environ.get("CREDITBANK_RATE_LIMIT_PREFIX") or d.rate_limit_prefix,
        trusted_proxies=int(env_number(environ, "CREDITBANK_TRUSTED_PROXIES", d.trusted_proxies)),
    )


_STORAGE_SCHEMES = ("memory://", "redis://", "rediss://", "redis+unix://", "redis+sentinel://")


def _storage_uri(environ: Mapping[str, str], default: str) -> str:
    uri = environ.get("CREDITBANK_RATE_LIMIT_STORAGE") or default
    if not uri.startswith(_STORAGE_SCHEMES):
        raise InvalidInput(
            "CREDITBANK_RATE_LIMIT_STORAGE must be memory:// or a redis:// URL, "
            f"got {uri.split('://')[0]!r}"
        )
    return uri
