"""The ``creditbank`` command: set-up, ledger audit and key management."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import FlaskGroup, with_appcontext

from creditbank.api.bodies import load
from creditbank.api.schemas import members
from creditbank.app import create_app
from creditbank.auth.principals import Role
from creditbank.backup.commands import backup_group
from creditbank.clock import utc_now
from creditbank.demo import demo_credentials, load_demo
from creditbank.errors import CreditbankError
from creditbank.imports.records_csv import plan_import, post_plan, write_problem_report
from creditbank.institutions.service import InstitutionInfo, issue_client, register_institution
from creditbank.ledger.audit import audit_ledger
from creditbank.services import initialise, lazy_services, services
from creditbank.storage.database import read_connection, write_transaction
from creditbank.witness.cli import witness_group


class _Group(FlaskGroup):
    """Flask's group, with our errors printed as one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CreditbankError as exc:
            click.echo(f"error: {exc.detail}", err=True)
            sys.exit(2)


@click.group(cls=_Group, create_app=create_app, add_version_option=False)
def main() -> None:
    """Creditbank: a credit bank with a verifiable ledger."""


@main.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance folder, migrate the database and generate the log key."""
    lazy = lazy_services()
    opened = initialise(lazy.settings)
    lazy.set(opened)
    checkpoint = opened.ledger.current_checkpoint()
    click.echo(f"instance: {lazy.settings.instance_path}")
    click.echo(f"log origin: {opened.ledger.origin}, size {checkpoint.size}")
    click.echo(opened.ledger.keyring.verifier_keys_text(), nl=False)


@main.group("ledger")
def ledger_group() -> None:
    """Inspect and audit the log."""


@ledger_group.command("verify")
@with_appcontext
def ledger_verify() -> None:
    """Recompute the chain and tree from the stored entries and check every checkpoint."""
    ledger = services().ledger

    def progress(done: int, total: int) -> None:
        click.echo(f"\r  {done}/{total} entries", nl=False, err=True)

    with read_connection(ledger.engine) as connection:
        report = audit_ledger(
            connection, ledger.keyring.verifiers(), ledger.origin, progress=progress
        )
    click.echo("", err=True)
    click.echo(
        f"ok: {report.entries_checked} entries, {report.nodes_checked} interior nodes, "
        f"{report.checkpoints_checked} checkpoints; root {report.root_hash.hex()}"
    )


@ledger_group.command("checkpoint")
@click.option("--force", is_flag=True, help="Sign a new checkpoint even if the size is unchanged.")
@with_appcontext
def ledger_checkpoint(force: bool) -> None:
    """Publish a signed checkpoint of the committed tree and print it."""
    click.echo(services().ledger.publish_checkpoint(force=force).note, nl=False)


@main.group("keys")
def keys_group() -> None:
    """Manage the log's signing keys."""


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """Print the verifier keys, newest first."""
    click.echo(services().ledger.keyring.verifier_keys_text(), nl=False)


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Generate a new log key; checkpoints are signed by it (and older active keys) from now."""
    signer = services().ledger.rotate_key()
    click.echo(f"new key {signer.verifier.verifier_key()}")


@main.group("institutions")
def institutions_group() -> None:
    """Member institutions."""


@institutions_group.command("add")
@click.argument("code")
@click.option("--name-zh", required=True)
@click.option("--name-en", required=True)
@click.option("--kind", required=True, type=click.Choice(members.INSTITUTION_KINDS))
@click.option("--level", required=True, type=click.Choice(members.LEVELS))
@click.option("--region", required=True)
@with_appcontext
def institutions_add(code: str, **options: str) -> None:
    """Register a member institution."""
    data = load(members.InstitutionIn(), {"code": code, **options})
    found = register_institution(services().ledger, InstitutionInfo(**data), now=utc_now())
    click.echo(f"registered {found.info.code} at ledger index {found.ledger_index}")


@main.group("clients")
def clients_group() -> None:
    """API keys of institutions and of the bank's operators."""


@clients_group.command("issue")
@click.option("--institution", help="Institution code; omit for a bank operator key.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="admin")
@click.option("--label", required=True)
@with_appcontext
def clients_issue(institution: str | None, role: str, label: str) -> None:
    """Issue an API key and print its secret (shown this once)."""
    if institution is None and role != Role.ADMIN.value:
        raise click.UsageError("a bank operator key has the admin role")
    with write_transaction(services().engine) as connection:
        info, secret = issue_client(connection, institution, Role(role), label, now=utc_now())
    click.echo(f"key {info.key_id} ({info.role.value} of {info.institution or 'the bank'})")
    click.echo(secret.text)


@main.group("import")
def import_group() -> None:
    """Bulk imports."""


@import_group.command("records")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--institution", required=True, help="Code of the posting institution.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write bad rows (default: FILE.errors.csv).",
)
@with_appcontext
def import_records_command(file: Path, institution: str, report: Path | None) -> None:
    """Post the records of a CSV file; rows posted before are skipped, bad rows reported."""
    opened = services()
    plan = plan_import(opened, file, institution, now=utc_now())
    with click.progressbar(length=len(plan.fresh), label="posting") as bar:
        outcome = post_plan(opened, plan, now=utc_now(), progress=bar.update)
    click.echo(
        f"{outcome.rows} rows: {outcome.posted} posted, {outcome.skipped} posted before, "
        f"{len({p.line for p in outcome.problems})} bad"
    )
    if outcome.problems:
        target = report or file.with_suffix(".errors.csv")
        write_problem_report(target, outcome.problems)
        click.echo(f"bad rows are listed in {target}")
        sys.exit(1)


@main.group("demo")
def demo_group() -> None:
    """Demonstration data."""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """Load the demonstration data into an empty instance (does nothing otherwise)."""
    result = load_demo(services(), now=utc_now())
    if result is None:
        click.echo("demo: institutions exist already; nothing loaded")
    else:
        click.echo(
            f"demo: loaded {result['institutions']} institutions, {result['learners']} learners "
            f"and {result['records']} records; log size {result['size']}"
        )
    click.echo(demo_credentials())


main.add_command(witness_group)
main.add_command(backup_group)
