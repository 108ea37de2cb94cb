"""Prometheus metrics: request counts and latency from every worker, state from the database.

Request metrics live in each process; under gunicorn prometheus-client's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, set up by ``creditbank/deploy/gunicorn_conf.py``) merges every
worker's files at scrape time. What the database knows (log size, checkpoint age, job runs,
the leader's heartbeat, the audit) is read at scrape time instead, so it is the same whichever
worker answers and includes runs of a separate ``creditbank scheduler run`` process.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from creditbank.clock import as_utc, utc_now
from creditbank.ledger.partitions import room
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.operations import runs
from creditbank.operations.audit import read_status
from creditbank.operations.lease import read_lease
from creditbank.storage.database import read_connection

# prometheus-client chose per-process or shared-file values once, when it was imported (from
# PROMETHEUS_MULTIPROC_DIR); a scrape reads them the way they are kept, whatever the environment
# says later.
MULTIPROCESS = values.ValueClass is not values.MutexValue
REQUESTS = Counter(
    "creditbank_http_requests_total",
    "HTTP requests answered, by method, endpoint (URL rule) and status",
    ["method", "endpoint", "status"],
)
LATENCY = Histogram(
    "creditbank_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and endpoint",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Labelled, so that no value file is created at import (before gunicorn's master empties the
# metrics folder when the application is preloaded).
RATE_LIMITED = Counter(
    "creditbank_http_rate_limited_total",
    "Requests refused with 429 by the rate limit, by what was limited",
    ["by"],
)


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    REQUESTS.labels(method, endpoint, str(status)).inc()
    LATENCY.labels(method, endpoint).observe(seconds)


class DatabaseCollector(Collector):
    """Gauges read from the database when scraped."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        """Yield the log, checkpoint, lease, audit and job-run metrics."""
        now = utc_now()
        with read_connection(self._engine) as connection:
            head = read_head(connection)
            checkpoint = latest_checkpoint(connection)
            lease = read_lease(connection)
            audit = read_status(connection)
            counts = runs.status_counts(connection)
            successes = runs.last_success(connection)
            partition_room = room(connection)
        yield GaugeMetricFamily("creditbank_log_size", "Entries in the log", value=head.size)
        if partition_room is not None:
            yield GaugeMetricFamily(
                "creditbank_log_partition_room",
                "Entries that fit before the last log partition ends (PostgreSQL)",
                value=partition_room[0],
            )
        if checkpoint is not None:
            yield GaugeMetricFamily(
                "creditbank_checkpoint_size",
                "Tree size of the latest checkpoint",
                value=checkpoint.size,
            )
            yield GaugeMetricFamily(
                "creditbank_checkpoint_age_seconds",
                "Seconds since the latest checkpoint was signed",
                value=(now - as_utc(checkpoint.created_at)).total_seconds(),
            )
        if lease is not None:
            yield GaugeMetricFamily(
                "creditbank_scheduler_heartbeat_age_seconds",
                "Seconds since the scheduler leader last renewed its lease",
                value=(now - lease.renewed_at).total_seconds(),
            )
            yield GaugeMetricFamily(
                "creditbank_scheduler_leader_present",
                "1 while a leader's lease is valid",
                value=1.0 if lease.valid(now) else 0.0,
            )
        yield GaugeMetricFamily(
            "creditbank_audit_failed",
            "1 when the integrity audit found a mismatch",
            value=1.0 if audit.failed else 0.0,
        )
        yield GaugeMetricFamily(
            "creditbank_audit_audited_size",
            "Entries the incremental audit has checked",
            value=audit.audited_size,
        )
        family = CounterMetricFamily(
            "creditbank_job_runs",
            "Recorded job runs (kept for the retention period), by job and status",
            labels=["job", "status"],
        )
        for (job, status), count in sorted(counts.items()):
            family.add_metric([job, status], count)
        yield family
        last = GaugeMetricFamily(
            "creditbank_job_last_success_timestamp_seconds",
            "When each job last finished without error (Unix time)",
            labels=["job"],
        )
        for job, moment in sorted(successes.items()):
            last.add_metric([job], as_utc(moment).timestamp())
        yield last


def exposition(engine: Engine) -> tuple[bytes, str]:
    """The text exposition of every metric (merged across workers in multiprocess mode)."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        local: list[Collector] = []
    else:
        local = [REGISTRY]
    registry.register(DatabaseCollector(engine))
    body = generate_latest(registry) + b"".join(generate_latest(r) for r in local)
    return body, CONTENT_TYPE_LATEST
