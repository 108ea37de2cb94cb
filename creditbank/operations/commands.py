"""Administrative commands: the scheduler, the database, log keys, institutions and API keys.

``register`` adds them to the ``creditbank`` command and its existing groups.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click
from flask.cli import with_appcontext

from creditbank.clock import utc_now
from creditbank.errors import SigningKeyError
from creditbank.institutions.service import list_clients, list_institutions, revoke_client
from creditbank.ledger.keys import Keyring
from creditbank.operations import runs
from creditbank.operations.lease import current_lease
from creditbank.operations.registry import all_jobs
from creditbank.operations.scheduler import Scheduler
from creditbank.services import lazy_services, services
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.storage.migrate import current_revision, head_revision, upgrade


def _when(moment: object) -> str:
    return "-" if moment is None else str(moment)[:19]


# --- scheduler ------------------------------------------------------------------------------


@click.group("scheduler")
def scheduler_group() -> None:
    """Scheduled jobs: run a scheduler process, list jobs and their runs."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run() -> None:
    """Run a scheduler in this process until stopped (SIGTERM or Ctrl-C).

    Leader jobs run here only while this process holds the lease; run one of these on each
    of two hosts for a stand-by, with CREDITBANK_SCHEDULER=off for the web workers.
    """
    lazy = lazy_services()
    scheduler = Scheduler(
        lazy.get, all_jobs(lazy.settings), lazy.settings.operations, blocking=True
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"scheduler {scheduler.holder.id}: signal {signum}, stopping", err=True)
        scheduler.shutdown()

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"scheduler {scheduler.holder.id}: {len(scheduler.jobs)} jobs", err=True)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown()


@scheduler_group.command("jobs")
@with_appcontext
def scheduler_jobs() -> None:
    """List the registered jobs with their schedules and latest runs, and the leader."""
    opened = services()
    with read_connection(opened.engine) as connection:
        latest = runs.last_runs(connection)
    lease = current_lease(opened.engine)
    if lease is None:
        click.echo("leader: none yet")
    else:
        state = "valid" if lease.valid(utc_now()) else "expired"
        click.echo(f"leader: {lease.holder} ({state}, renewed {_when(lease.renewed_at)})")
    for spec in all_jobs(opened.settings):
        last = latest.get(spec.name)
        where = "leader" if spec.leader_only else "every process"
        outcome = "never run" if last is None else f"{last.status} at {_when(last.started_at)}"
        click.echo(f"{spec.name:<20} {spec.trigger.describe():<22} {where:<14} {outcome}")
        click.echo(f"{'':<20} {spec.description}")


@scheduler_group.command("runs")
@click.option("--job", help="Only this job's runs.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@with_appcontext
def scheduler_runs(job: str | None, limit: int) -> None:
    """List recent job runs, newest first."""
    with read_connection(services().engine) as connection:
        found = runs.list_runs(connection, job=job, limit=limit)
    for run in found:
        click.echo(
            f"{run.id:>6} {run.job:<18} {run.status:<9} {_when(run.started_at)} "
            f"{run.host}:{run.pid} {run.detail or ''}"
        )


@scheduler_group.command("run-once")
@click.argument("job")
@with_appcontext
def scheduler_run_once(job: str) -> None:
    """Run one job now in this process (leader jobs too, in a slot of their own)."""
    lazy = lazy_services()
    scheduler = Scheduler(lazy.get, all_jobs(lazy.settings), lazy.settings.operations)
    if job not in scheduler.jobs:
        raise click.UsageError(f"no job {job!r}; see 'creditbank scheduler jobs'")
    run = scheduler.run_job(job, force=True)
    if run is None:
        click.echo(f"{job}: nothing to do")
        return
    click.echo(f"{job}: {run.status}: {run.detail or 'nothing to do'}")
    if run.status != "ok":
        sys.exit(1)


# --- database -------------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply pending migrations (run once, before starting upgraded servers)."""
    engine = create_db_engine(lazy_services().settings.database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        click.echo(f"schema: {before or 'empty'} -> {current_revision(engine)}")
    finally:
        engine.dispose()


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision and the newest one this code knows."""
    engine = create_db_engine(lazy_services().settings.database_url)
    try:
        click.echo(f"schema: {current_revision(engine) or 'empty'} (code: {head_revision(engine)})")
    finally:
        engine.dispose()


# --- additions to existing groups -----------------------------------------------------------


@click.command("generate")
@with_appcontext
def keys_generate() -> None:
    """Create the log signing keyring of a new instance (``rotate`` adds keys later)."""
    settings = lazy_services().settings
    if (settings.keys_path / "keyring.json").exists():
        raise SigningKeyError(
            f"a keyring exists in {settings.keys_path}: use 'creditbank keys rotate' to add a key"
        )
    keyring = Keyring.create(settings.keys_path, settings.log_origin, settings.key_passphrase)
    click.echo(f"created {settings.keys_path}")
    click.echo(keyring.verifier_keys_text(), nl=False)


def keys_details() -> None:
    """Print every key with its state (for ``keys list --long``)."""
    for info in reversed(services().ledger.keyring.keys()):
        state = "active" if info.active else f"retired {_when(info.retired_at)}"
        click.echo(
            f"{info.seq:>3} {info.key_id.hex()} created {_when(info.created_at)} {state} "
            f"{info.verifier.verifier_key()}"
        )


@click.command("list")
@with_appcontext
def institutions_list() -> None:
    """List the member institutions."""
    with read_connection(services().engine) as connection:
        found = list_institutions(connection)
    for item in found:
        info = item.info
        click.echo(
            f"{info.code:<14} {info.kind:<12} {info.level:<16} {info.region:<10} "
            f"{info.name_zh} / {info.name_en}"
        )


@click.command("list")
@click.option("--institution", help="Institution code; omit for the bank's operator keys.")
@with_appcontext
def clients_list(institution: str | None) -> None:
    """List the API keys of an institution or of the bank (never their secrets)."""
    with read_connection(services().engine) as connection:
        found = list_clients(connection, institution)
    for info in found:
        state = "active" if info.revoked_at is None else f"revoked {_when(info.revoked_at)}"
        click.echo(f"{info.key_id} {info.role.value:<10} {state:<28} {info.label}")


@click.command("revoke")
@click.argument("key_id")
@click.option("--institution", help="Institution code; omit for a bank operator key.")
@with_appcontext
def clients_revoke(key_id: str, institution: str | None) -> None:
    """Revoke an API key; it stops working at once."""
    with write_transaction(services().engine) as connection:
        info = revoke_client(connection, institution, key_id, now=utc_now())
    click.echo(f"revoked {info.key_id} ({info.role.value} of {info.institution or 'the bank'})")


def register(
    main: click.Group, keys: click.Group, institutions: click.Group, clients: click.Group
) -> None:
    """Add these commands to ``creditbank`` and its groups."""
    main.add_command(scheduler_group)
    main.add_command(db_group)
    keys.add_command(keys_generate)
    institutions.add_command(institutions_list)
    clients.add_command(clients_list)
    clients.add_command(clients_revoke)
