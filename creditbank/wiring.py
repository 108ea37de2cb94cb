"""The service's long-lived parts (engine, keyring, ledger, jobs), opened once per process.

This is where the parts are wired together: the scheduled jobs are bound here to the
collaborators each one works on, so the jobs themselves never reach for the container.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from flask import Response, current_app, has_request_context, request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from creditbank.backup.schedule import backup_job
from creditbank.clock import utc_now
from creditbank.cohorts.service import run_pending
from creditbank.config import Settings
from creditbank.errors import SigningKeyError
from creditbank.evaluations.catalogue import PolicyCatalogue
from creditbank.identity.sealing import FieldSealer, KeyEncryptionKeys
from creditbank.indicators.snapshot import refresh as refresh_indicators
from creditbank.learners.data_keys import DataKeys
from creditbank.ledger.keys import Keyring
from creditbank.ledger.sealed_openings import OPTION as DATA_KEYS_OPTION
from creditbank.ledger.service import Ledger
from creditbank.operations import audit, checkpoints, expiry, outbox, runs
from creditbank.operations import partitions as partitions_job
from creditbank.operations.jobs import Daily, Every, JobSpec
from creditbank.operations.mail import smtp_connection
from creditbank.operations.scheduler import Scheduler
from creditbank.privacy.erasure import erase_due
from creditbank.privacy.retention import apply_retention
from creditbank.rules.policy import Policy
from creditbank.schema import metadata
from creditbank.storage.database import create_db_engine
from creditbank.storage.migrate import upgrade
from creditbank.storage.private_files import make_private_directory
from creditbank.storage.replicas import ReadPool, format_lsn, parse_lsn
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.kept_pdfs import KeptPdfs
from creditbank.transcripts.keys import IssuerKeys
from creditbank.transcripts.status_lists import refresh_status_lists


@dataclass
class Services:
    """What request handlers and commands work with."""

    settings: Settings
    engine: Engine
    ledger: Ledger
    sealer: FieldSealer
    catalogue: PolicyCatalogue
    issuer_keys: IssuerKeys
    data_keys: DataKeys

    @property
    def policies(self) -> Mapping[str, Policy]:
        """Each policy's version in force today (see :meth:`PolicyCatalogue.current`)."""
        return self.catalogue.current(utc_now().date())

    @property
    def reads(self) -> ReadPool:
        """The primary and the replicas that answer reads which tolerate lag."""
        return self.ledger.reads

    def close(self) -> None:
        """Release database connections."""
        self.ledger.reads.dispose()
        self.engine.dispose()

    def jobs(self) -> list[JobSpec]:
        """Every scheduled job, bound to these services."""
        return scheduled_jobs(self.settings, lambda: self)

    def issuer_identity(self) -> IssuerIdentity:
        """The transcript issuer, as its keys and the settings name it."""
        return IssuerIdentity(self.issuer_keys, self.settings.public_url, self.settings.issuer_did)


def open_services(settings: Settings, engine: Engine | None = None) -> Services:
    """Open the database and the keyring of an initialised instance."""
    if not (settings.keys_path / "keyring.json").exists():
        raise SigningKeyError(
            f"no log signing keys in {settings.keys_path}: run 'creditbank init' first"
        )
    keyring = Keyring.open(settings.keys_path, settings.key_passphrase)
    engine = engine or create_db_engine(settings.database_url)
    ledger = Ledger(
        engine,
        keyring,
        origin=settings.log_origin,
        checkpoint_interval_seconds=settings.checkpoint_interval_seconds,
        page_size=settings.entries_page_size,
        reads=ReadPool.from_urls(
            engine,
            settings.replica_urls,
            max_lag_seconds=settings.replica_max_lag_seconds,
            check_every_seconds=settings.replica_check_seconds,
        ),
    )
    data_keys = install_data_keys(engine, settings, replicas=ledger.reads.replica_engines)
    sealer = data_keys.sealer
    catalogue = PolicyCatalogue(
        engine, settings.policies_path, refresh_seconds=settings.policy_refresh_seconds
    )
    return Services(
        settings=settings,
        engine=engine,
        ledger=ledger,
        sealer=sealer,
        catalogue=catalogue,
        issuer_keys=IssuerKeys.open_or_create(
            settings.transcript_keys_path, settings.key_passphrase
        ),
        data_keys=data_keys,
    )


def install_data_keys(
    engine: Engine, settings: Settings, *, replicas: Sequence[Engine] = ()
) -> DataKeys:
    """Let every connection of ``engine`` and its ``replicas`` find the learners' key store.

    Sealed openings, record contents and results open through it wherever they are read, a
    replica included. The store unwraps keys with the instance's key-encryption keys (its
    ``sealer``).
    """
    sealer = FieldSealer(KeyEncryptionKeys.open(settings.kek_path, settings.key_passphrase))
    data_keys = DataKeys(sealer)
    for each in (engine, *replicas):
        each.update_execution_options(**{DATA_KEYS_OPTION: data_keys})
    return data_keys


def initialise(settings: Settings) -> Services:
    """Create the instance folder, migrate the schema and generate the log key on first run."""
    make_private_directory(settings.instance_path)
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    if not (settings.keys_path / "keyring.json").exists():
        Keyring.create(settings.keys_path, settings.log_origin, settings.key_passphrase)
    if not settings.kek_path.exists():
        KeyEncryptionKeys.create(settings.kek_path, settings.key_passphrase)
    return open_services(settings, engine)


class LazyServices:
    """Opens :class:`Services` on first use, so commands like ``init`` run before keys exist."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Services | None = None
        self._lock = threading.Lock()

    def get(self) -> Services:
        """Return the opened services, opening them the first time."""
        with self._lock:
            if self._services is None:
                self._services = open_services(self.settings)
            return self._services

    def opened(self) -> Services | None:
        """The services if something has opened them already, without opening them."""
        with self._lock:
            return self._services

    def set(self, services: Services) -> None:
        """Use already opened services (after ``initialise``)."""
        with self._lock:
            self._services = services

    def scheduler(self, *, blocking: bool = False) -> Scheduler:
        """A scheduler of every job, opening the services when it first needs them."""
        return Scheduler(
            lambda: self.get().engine,
            scheduled_jobs(self.settings, self.get),
            self.settings.operations,
            blocking=blocking,
        )


EXTENSION = "creditbank"  # the key of the application's LazyServices in ``app.extensions``


def lazy_services() -> LazyServices:
    """Return the current Flask application's (possibly unopened) services."""
    lazy: LazyServices = current_app.extensions[EXTENSION]
    return lazy


def services() -> Services:
    """Return the services of the current Flask application, opening them on first use."""
    return lazy_services().get()


# The primary's WAL position after the visitor's last write: their reads wait for a replica that
# has replayed it (read-your-write), else go to the primary.
WRITTEN_COOKIE = "cb_written"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Long past any lag a replica in use may have (the bound is seconds).
WRITTEN_COOKIE_SECONDS = 600


def written_position() -> int | None:
    """The position the current request's visitor last wrote at, if it told us one."""
    if not has_request_context():
        return None
    raw = request.cookies.get(WRITTEN_COOKIE, "")
    try:
        return parse_lsn(raw) if raw else None
    except ValueError:
        return None  # not one we set: it only ever makes the visitor's own reads staler


def remember_write(response: Response) -> Response:
    """After a request that may have written, tell the visitor's later reads where it was.

    Any method but GET and HEAD that succeeded may have written; the primary's position now
    covers that write, so a replica that has replayed it shows the visitor their own change.
    """
    opened = lazy_services().opened()
    if (
        opened is None
        or not opened.reads.has_replicas
        or request.method in SAFE_METHODS
        or response.status_code >= 400
    ):
        return response
    try:
        position = opened.reads.primary_position()
    except SQLAlchemyError:
        return response  # the primary stopped answering after the write: its answer stands
    if position is not None:
        response.set_cookie(
            WRITTEN_COOKIE,
            format_lsn(position),
            max_age=WRITTEN_COOKIE_SECONDS,
            path="/",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )
    return response


def read_engine(*, read_only_request: bool = False) -> Engine:
    """Where a read that tolerates lag goes: a replica in use, else the primary.

    Only reads that may be a little stale call this (public lists, the dashboard, a
    verification). In a request that may write (any method but GET and HEAD) they go to the
    primary, so a page rendered after the request's own write shows it, unless the caller
    says the request only reads (a verification posted as JSON or a form). After a request of
    theirs that may have written (see :func:`remember_write`), the visitor's reads go to a
    replica only once it has replayed that write.
    """
    opened = services()
    if not read_only_request and has_request_context() and request.method not in SAFE_METHODS:
        return opened.engine
    return opened.reads.choose(after=written_position())


def scheduled_jobs(settings: Settings, opened: Callable[[], Services]) -> list[JobSpec]:
    """Every job a scheduler process schedules: the leader's first, then every process's.

    Each job is bound to what it works on; ``opened`` is asked for the services only when a
    job runs, so a serving process schedules its jobs before anything is opened.
    """
    ops = settings.operations

    def checkpoint() -> str | None:
        return checkpoints.publish_if_grown(opened().ledger)

    def audit_new() -> str:
        return audit.incremental_audit(opened().ledger, sample=ops.audit_sample)

    def audit_all() -> str:
        return audit.full_audit(opened().ledger)

    def audit_partition() -> str | None:
        return audit.partition_audit(opened().ledger)

    def expire_consents() -> str | None:
        return expiry.expire_consents(opened().ledger)

    def warn_consents() -> str | None:
        return expiry.warn_expiring_consents(opened().engine)

    def send_notices() -> str | None:
        if not settings.mail.enabled:
            return None  # no mail server: the messages wait in the outbox
        services = opened()
        return outbox.deliver_outbox(
            services.engine,
            services.sealer,
            settings.mail,
            lambda: smtp_connection(settings.mail),
            now=utc_now,
        )

    def flag_certificates() -> str | None:
        return expiry.flag_certificates(opened().engine)

    def prune() -> str | None:
        days = ops.job_run_retention_days
        deleted = runs.prune(opened().engine, days)
        return f"deleted {deleted} job runs older than {days} days" if deleted else None

    def status_lists() -> str | None:
        services = opened()
        refreshed = refresh_status_lists(services.engine, services.issuer_identity(), now=utc_now())
        return f"re-signed {refreshed} status lists" if refreshed else None

    def backup() -> str:
        return backup_job(
            opened().ledger, settings.backups_path, schema=metadata, keep=settings.backups_kept
        )

    def dashboard() -> str:
        services = opened()
        snapshot = refresh_indicators(services.engine, services.policies, now=utc_now())
        return f"indicators of {snapshot.figures.records} active records"

    def make_partitions() -> str | None:
        return partitions_job.make_ahead(opened().engine)

    def cohorts() -> str | None:
        services = opened()
        ran = run_pending(
            services.engine,
            services.policies,
            version=lambda policy_id, version: (
                services.catalogue.version(policy_id, version).policy
            ),
        )
        return f"ran {ran} cohort chunks" if ran else None

    def erase_closed() -> str | None:
        services = opened()
        kept = KeptPdfs(settings.pdf_path, services.sealer)
        return erase_due(
            services.ledger,
            services.data_keys,
            services.issuer_identity(),
            now=utc_now(),
            forget_files=kept.forget,
        )

    def retention() -> str | None:
        return apply_retention(opened().ledger, settings.retention, now=utc_now())

    nightly = Daily(ops.nightly_hour_utc)
    return [
        JobSpec(
            "checkpoint",
            "sign a checkpoint when the log has grown",
            checkpoint,
            Every(ops.checkpoint_job_seconds),
        ),
        JobSpec(
            "audit",
            "audit new log entries and a random sample of old ones",
            audit_new,
            Every(ops.audit_seconds),
        ),
        JobSpec(
            "audit-full", "recompute the whole log and check every checkpoint", audit_all, nightly
        ),
        JobSpec(
            "audit-partition",
            "re-read one partition of the log (in turn) against the latest checkpoint",
            audit_partition,
            Every(3600.0),
        ),
        JobSpec(
            "expire-consents",
            "record consents past their end date in the log",
            expire_consents,
            Every(ops.expiry_seconds),
        ),
        JobSpec(
            "consent-reminders",
            "tell learners of consents ending within a week",
            warn_consents,
            Every(ops.expiry_seconds),
        ),
        JobSpec(
            "outbox",
            "e-mail learners their notices (retrying while the mail server is down)",
            send_notices,
            Every(settings.mail.outbox_seconds),
        ),
        JobSpec(
            "flag-certificates",
            "flag certificates past their expiry date",
            flag_certificates,
            nightly,
        ),
        JobSpec(
            "prune-job-runs",
            f"delete job runs older than {ops.job_run_retention_days} days",
            prune,
            nightly,
        ),
        JobSpec(
            "status-lists", "re-sign changed transcript status lists", status_lists, Every(60.0)
        ),
        JobSpec(
            "erase-closed",
            f"erase closed accounts {settings.retention.grace.days} days after closure",
            erase_closed,
            nightly,
        ),
        JobSpec(
            "retention",
            "delete data past its retention period, recording what in the log",
            retention,
            nightly,
        ),
        JobSpec(
            "backup",
            f"export the log to {settings.backups_path}, keeping {settings.backups_kept}",
            backup,
            nightly,
        ),
        JobSpec(
            "dashboard",
            "advance the dashboard's indicators by what changed since the last run",
            dashboard,
            Every(ops.dashboard_seconds),
        ),
        JobSpec(
            "partitions",
            "create the log's next partitions ahead of the appends (PostgreSQL)",
            make_partitions,
            Every(ops.partition_seconds),
        ),
        JobSpec(
            "cohorts",
            "run queued cohort evaluations (each chunk claimed by one process)",
            cohorts,
            Every(ops.cohort_seconds),
            leader_only=False,
        ),
    ]
