"""The ``creditbank`` command: set-up, ledger audit and key management."""

from __future__ import annotations

import dataclasses
import json
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
from creditbank.errors import CreditbankError, InvalidJson
from creditbank.imports.records_csv import plan_import, post_plan, write_problem_report
from creditbank.institutions.service import InstitutionInfo, issue_client, register_institution
from creditbank.ledger.audit import audit_ledger
from creditbank.ledger.cosignature import parse_cosigner_key
from creditbank.operations import commands as operations_commands
from creditbank.services import initialise, lazy_services, services
from creditbank.storage.database import read_connection, write_transaction
from creditbank.strict_json import read_json as read_untrusted_json
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
@click.option("--long", "long_", is_flag=True, help="Also show each key's id, dates and state.")
@with_appcontext
def keys_list(long_: bool) -> None:
    """Print the verifier keys, newest first."""
    if long_:
        operations_commands.keys_details()
        return
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
    label = load(members.ClientIn(), {"role": role, "label": label})["label"]
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


# --- transcripts ------------------------------------------------------------------------------


@main.group("transcripts")
def transcripts_group() -> None:
    """Signed transcripts (service counter) and their signing keys."""


@transcripts_group.command("issue")
@click.option("--learner", required=True, help="The learner's account id.")
@click.option(
    "--records",
    "record_ids",
    multiple=True,
    help="A record or recognised transfer id (repeat); default all active ones.",
)
@click.option("--days", required=True, type=int, help="Validity, 30 to 180 days.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pdf", "as_pdf", is_flag=True, help="Write the printable PDF instead of JSON.")
@with_appcontext
def transcripts_issue(
    *,
    learner: str,
    record_ids: tuple[str, ...],
    days: int,
    language: str,
    out: Path,
    as_pdf: bool,
) -> None:
    """Issue a transcript on a learner's behalf and write it to FILE."""
    from creditbank.api.transcripts import pdf_renderer  # noqa: PLC0415 - only this command
    from creditbank.transcripts.service import issue_transcript  # noqa: PLC0415
    from creditbank.transcripts.view import view_from_credential  # noqa: PLC0415

    renderer = pdf_renderer() if as_pdf else None
    if as_pdf and renderer is None:
        raise click.UsageError(
            "--pdf: the PDF renderer (creditbank.transcripts.pdf) is not installed yet; "
            "issue JSON and print it later"
        )
    issued = issue_transcript(
        services(),
        learner,
        record_ids=list(record_ids) or None,
        language=language,
        validity_days=days,
        now=utc_now(),
        actor="bank",
    )
    if renderer is not None:
        out.write_bytes(renderer(view_from_credential(issued.credential), language=language))
    else:
        text = json.dumps(issued.credential, ensure_ascii=False, indent=2) + "\n"
        out.write_text(text, encoding="utf-8")
    records = len(issued.credential["credentialSubject"]["verifiableCredential"])
    click.echo(f"transcript {issued.id}: {records} records, verification code {issued.code}")
    click.echo(f"written to {out}")


@transcripts_group.group("keys")
def transcript_keys_group() -> None:
    """The transcript-signing keys."""


@transcript_keys_group.command("list")
@with_appcontext
def transcript_keys_list() -> None:
    """Print every transcript key, newest first, with when it was retired."""
    from creditbank.transcripts.service import did_document  # noqa: PLC0415

    for method in did_document(services())["verificationMethod"]:
        retired = method.get("retiredAt")
        click.echo(f"{method['id']}  {'retired ' + retired if retired else 'current'}")


@transcript_keys_group.command("rotate")
@with_appcontext
def transcript_keys_rotate() -> None:
    """Add a new signing key and retire the old one (its transcripts keep verifying)."""
    from creditbank.transcripts.service import issuer, refresh_status_lists  # noqa: PLC0415

    opened = services()
    opened.issuer_keys.rotate()
    refreshed = refresh_status_lists(opened)
    click.echo(f"new key {issuer(opened).method_id}; {refreshed} status lists re-signed")


@main.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The bank's DID document (/.well-known/did.json).",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The bank's latest signed checkpoint (/api/v1/log/checkpoint).",
)
@click.option(
    "--status",
    "status_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A status list credential (repeat).",
)
@click.option("--fetch", "fetch_url", help="Fetch keys, checkpoint and status from this bank URL.")
@click.option("--witness-key", "witness_keys", multiple=True, help="A witness vkey (repeat).")
@click.option(
    "--require-witnesses",
    type=click.IntRange(min=0),
    default=0,
    help="How many of the --witness-key witnesses must have cosigned the checkpoint.",
)
def verify_command(
    *,
    file: Path,
    keys_file: Path | None,
    checkpoint_file: Path | None,
    status_files: tuple[Path, ...],
    fetch_url: str | None,
    witness_keys: tuple[str, ...],
    require_witnesses: int,
) -> None:
    """Verify a transcript offline and print each check; exit 1 if any check fails."""
    from creditbank.transcripts.offline import trust_from_files, trust_from_url  # noqa: PLC0415
    from creditbank.transcripts.verify import verify_transcript  # noqa: PLC0415

    def read_json(path: Path) -> Any:
        try:
            return read_untrusted_json(path.read_bytes())
        except InvalidJson as exc:
            raise click.UsageError(f"{path} is refused: {exc.detail}") from None

    if (keys_file is None) == (fetch_url is None):
        raise click.UsageError("give either --keys DID_DOC_FILE (offline) or --fetch URL")
    if require_witnesses > len(witness_keys):
        raise click.UsageError(
            f"--require-witnesses {require_witnesses} needs as many --witness-key options"
        )
    for vkey in witness_keys:
        try:
            parse_cosigner_key(vkey)
        except CreditbankError as exc:
            raise click.UsageError(f"--witness-key {vkey!r}: {exc.detail}") from None
    now = utc_now()
    try:
        if fetch_url is not None:
            trust = trust_from_url(fetch_url, now=now)
        else:
            assert keys_file is not None
            lists = {}
            for path in status_files:
                document = read_json(path)
                lists[str(document.get("id"))] = document
            trust = trust_from_files(
                read_json(keys_file),
                now=now,
                latest_checkpoint=None
                if checkpoint_file is None
                else checkpoint_file.read_text(encoding="utf-8"),
                status_lists=lists,
            )
    except CreditbankError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(2)
    trust = dataclasses.replace(
        trust, witness_keys=witness_keys, require_witnesses=require_witnesses
    )
    report = verify_transcript(read_json(file), trust)
    for check in report.checks:
        click.echo(f"{check.outcome:<8} {check.name}: {check.reason}")
    click.echo(f"{'VALID' if report.valid else 'INVALID'}: {report.records} records")
    sys.exit(0 if report.valid else 1)


operations_commands.register(main, keys_group, institutions_group, clients_group)
main.add_command(witness_group)
main.add_command(backup_group)
