"""The ``creditbank`` command: set-up, ledger audit, keys, scheduler, database and backups."""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click
from flask.cli import FlaskGroup, with_appcontext

from creditbank.app import create_app
from creditbank.backup.export import export_backup
from creditbank.backup.restore import restore_backup
from creditbank.clock import utc_now
from creditbank.demo import demo_credentials, load_demo
from creditbank.errors import BackupError, CreditbankError, InvalidJson, SigningKeyError
from creditbank.identity.principals import CONSOLE_ACTOR, Role
from creditbank.imports.records_csv import plan_import, post_plan
from creditbank.imports.tabular import read_path
from creditbank.imports.writing import bad_rows_report
from creditbank.institutions.clients import (
    CONSOLE,
    KeyStatus,
    issue_client,
    list_clients,
    revoke_client,
)
from creditbank.institutions.service import (
    INSTITUTION_KINDS,
    LEVELS,
    institution_info,
    list_institutions,
    register_institution,
)
from creditbank.labels import label as words_for
from creditbank.ledger.full_audit import audit_ledger
from creditbank.ledger.keys import Keyring
from creditbank.ledger.partition_audit import audit_partition
from creditbank.operations import runs
from creditbank.operations.audit import check_stored_copies
from creditbank.operations.lease import current_lease
from creditbank.schema import metadata
from creditbank.storage.database import create_db_engine, read_connection
from creditbank.storage.migrate import current_revision, head_revision, upgrade
from creditbank.strict_json import read_json as read_untrusted_json
from creditbank.text import LABEL, TextRefused
from creditbank.wiring import initialise, lazy_services, services
from creditbank.witness.cosignature import parse_cosigner_key
from creditbank.witness.independent.cli import witness_group


class _Group(FlaskGroup):
    """Flask's group, with our errors printed as one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CreditbankError as exc:
            click.echo(f"error: {exc.detail}", err=True)
            sys.exit(2)


def _when(moment: object) -> str:
    return "-" if moment is None else str(moment)[:19]


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
@click.option(
    "--partition",
    type=click.IntRange(min=0),
    default=None,
    help="Audit only this partition (its entries against the latest signed checkpoint).",
)
@with_appcontext
def ledger_verify(partition: int | None) -> None:
    """Recompute the chain and tree from the stored entries and check every checkpoint."""
    ledger = services().ledger
    if partition is not None:
        with read_connection(ledger.engine) as connection:
            part = audit_partition(connection, partition, ledger.keyring.verifiers(), ledger.origin)
        click.echo(
            f"ok: partition {part.number}, entries {part.first}..{part.end - 1}, "
            f"{part.nodes_checked} interior nodes, within checkpoint of size "
            f"{part.checkpoint_size}; subtree root {part.root_hash.hex()}"
        )
        return

    def progress(done: int, total: int) -> None:
        click.echo(f"\r  {done}/{total} entries", nl=False, err=True)

    with read_connection(ledger.engine) as connection:
        report = audit_ledger(
            connection, ledger.keyring.verifiers(), ledger.origin, progress=progress
        )
        click.echo("", err=True)
        records = check_stored_copies(connection, report.size)
    click.echo(
        f"ok: {report.entries_checked} entries, {report.nodes_checked} interior nodes, "
        f"{report.checkpoints_checked} checkpoints, {records} record changes; "
        f"root {report.root_hash.hex()}"
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
        for info in reversed(services().ledger.keyring.keys()):
            state = "active" if info.active else f"retired {_when(info.retired_at)}"
            click.echo(
                f"{info.seq:>3} {info.key_id.hex()} created {_when(info.created_at)} {state} "
                f"{info.verifier.verifier_key()}"
            )
        return
    click.echo(services().ledger.keyring.verifier_keys_text(), nl=False)


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Generate a new log key; checkpoints are signed by it (and older active keys) from now.

    The log's entry names the console (``operator:console``) as who rotated it.
    """
    signer = services().ledger.rotate_key(actor=CONSOLE_ACTOR)
    click.echo(f"new key {signer.verifier.verifier_key()}")


@main.group("institutions")
def institutions_group() -> None:
    """Member institutions."""


@institutions_group.command("add")
@click.argument("code")
@click.option("--name-zh", required=True)
@click.option("--name-en", required=True)
@click.option("--kind", required=True, type=click.Choice(INSTITUTION_KINDS))
@click.option("--level", required=True, type=click.Choice(LEVELS))
@click.option("--region", required=True)
@with_appcontext
def institutions_add(code: str, **options: str) -> None:
    """Register a member institution (the log names the console as who registered it)."""
    info = institution_info({"code": code, **options})
    found = register_institution(services().ledger, info, actor=CONSOLE_ACTOR, now=utc_now())
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
    """Issue an API key, on the record, and print its secret (shown this once).

    An institution's key issued here is an operator's: its first admin key is a bootstrap key
    (good only for issuing the institution's own admin key); any other stays pending until
    the institution's admin accepts it.
    """
    try:
        label = LABEL.clean(label)
    except TextRefused as exc:
        raise click.BadParameter(str(exc), param_hint="--label") from None
    if institution is None and role != Role.ADMIN.value:
        raise click.UsageError("a bank operator key has the admin role")
    info, secret = issue_client(
        services().ledger, institution, Role(role), label, by=CONSOLE, now=utc_now()
    )
    click.echo(
        f"key {info.key_id} ({info.role.value} of {info.institution or 'the bank'}, "
        f"{info.status.value}, ledger index {info.issued_index})"
    )
    click.echo(secret.text)
    if info.status is KeyStatus.BOOTSTRAP:
        click.echo(
            "bootstrap key: hand it to the institution once; it is good only for issuing the "
            "institution's own admin key, which revokes it",
            err=True,
        )
    elif info.status is KeyStatus.PENDING:
        click.echo(f"pending: it works once the admin of {institution} accepts it", err=True)


@main.group("import")
def import_group() -> None:
    """Bulk imports."""


@import_group.command("records")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--institution", required=True, help="Code of the posting institution.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write bad rows (default: FILE.errors.csv, or .xlsx for a workbook).",
)
@with_appcontext
def import_records_command(file: Path, institution: str, report: Path | None) -> None:
    """Post the records of a CSV or XLSX file; rows posted before are skipped, bad rows reported.

    A CSV may be UTF-8, GB18030/GBK or UTF-16; the bad rows come back in the file's format.
    """
    opened = services()
    table = read_path(file)
    click.echo(f"{file.name}: {len(table.rows)} rows, read as {table.encoding_name}")
    plan = plan_import(opened.engine, opened.sealer, table, institution, today=utc_now().date())
    with click.progressbar(length=len(plan.fresh), label="posting") as bar:
        outcome = post_plan(opened.ledger, opened.sealer, plan, now=utc_now(), progress=bar.update)
    click.echo(
        f"{outcome.rows} rows: {outcome.posted} posted, {outcome.skipped} posted before, "
        f"{len({p.line for p in outcome.problems})} bad"
    )
    if outcome.problems:
        target = report or file.with_suffix(f".errors.{table.format}")
        target.write_bytes(bad_rows_report(table, outcome.problems, "en").body)
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


@demo_group.command("signins")
@click.option("--url", default="http://127.0.0.1:8000", help="The address the pages are served at.")
def demo_signins_command(url: str) -> None:
    """Print each demo role's sign-in page and what to paste there."""
    click.echo(demo_credentials(url))


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
    from creditbank.transcripts.issuing import issue_transcript  # noqa: PLC0415
    from creditbank.transcripts.printing import pdf_renderer  # noqa: PLC0415 - only this command
    from creditbank.transcripts.view import view_from_credential  # noqa: PLC0415

    renderer = pdf_renderer() if as_pdf else None
    if as_pdf and renderer is None:
        raise click.UsageError(
            "--pdf: the PDF renderer (creditbank.transcripts.pdf) is not installed yet; "
            "issue JSON and print it later"
        )
    opened = services()
    issued = issue_transcript(
        opened.ledger,
        opened.sealer,
        opened.issuer_identity(),
        learner,
        witness_keys=opened.settings.witness_keys,
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
    from creditbank.transcripts.issuer import did_document  # noqa: PLC0415

    opened = services()
    document = did_document(opened.issuer_identity(), opened.ledger.keyring.verifiers())
    for method in document["verificationMethod"]:
        retired = method.get("retiredAt")
        click.echo(f"{method['id']}  {'retired ' + retired if retired else 'current'}")


@transcript_keys_group.command("rotate")
@with_appcontext
def transcript_keys_rotate() -> None:
    """Add a new signing key and retire the old one (its transcripts keep verifying)."""
    from creditbank.transcripts.keys import rotate_issuer_key  # noqa: PLC0415
    from creditbank.transcripts.status_lists import refresh_status_lists  # noqa: PLC0415

    opened = services()
    rotate_issuer_key(opened.issuer_keys, opened.ledger, actor=CONSOLE_ACTOR, now=utc_now())
    identity = opened.issuer_identity()
    refreshed = refresh_status_lists(opened.engine, identity, now=utc_now())
    click.echo(f"new key {identity.current().method_id}; {refreshed} status lists re-signed")


@main.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    "trust_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The trust list: accepted issuers, their log keys and signing keys "
    "(`creditbank trust-list`, or the bank's /.well-known/creditbank-trust-list.json).",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A copy of the issuer's DID document: adds no key, only later retirements.",
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
@click.option(
    "--issuer",
    "pinned_issuer",
    help="The trusted issuer DID the --fetch URL speaks for, when it is not that DID's address.",
)
@click.option(
    "--allow-unchecked-status",
    is_flag=True,
    help="Exit 0 when everything but revocation verified (the verdict still says so).",
)
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
    trust_file: Path,
    keys_file: Path | None,
    checkpoint_file: Path | None,
    status_files: tuple[Path, ...],
    fetch_url: str | None,
    pinned_issuer: str | None,
    allow_unchecked_status: bool,
    witness_keys: tuple[str, ...],
    require_witnesses: int,
) -> None:
    """Verify a transcript (or one record's credential) offline, anchored in a trust list.

    Prints each check and the verdict. Exit status: 0 valid, 1 altered, 2 bad usage or input,
    3 signature and evidence valid but revocation not checked (0 with
    --allow-unchecked-status), 4 revoked, 5 expired or not yet valid, 6 issuer not trusted,
    7 status unavailable.
    """
    from creditbank.transcripts.check_texts import check_name  # noqa: PLC0415
    from creditbank.transcripts.offline import trust_from_files, trust_from_url  # noqa: PLC0415
    from creditbank.transcripts.trust_list import read_trust_list  # noqa: PLC0415
    from creditbank.transcripts.verdict import VerdictClass  # noqa: PLC0415
    from creditbank.transcripts.verify import verify_transcript  # noqa: PLC0415

    def read_json(path: Path) -> Any:
        try:
            return read_untrusted_json(path.read_bytes())
        except InvalidJson as exc:
            raise click.UsageError(f"{path} is refused: {exc.detail}") from None

    if fetch_url is not None and (keys_file or checkpoint_file or status_files):
        raise click.UsageError("--fetch gets keys, checkpoint and status itself: give it alone")
    if pinned_issuer is not None and fetch_url is None:
        raise click.UsageError("--issuer pins the --fetch URL to an issuer: give --fetch too")
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
        trust_list = read_trust_list(read_json(trust_file))
        if fetch_url is not None:
            trust = trust_from_url(fetch_url, trust_list, now=now, issuer=pinned_issuer)
        else:
            lists = {}
            for path in status_files:
                document = read_json(path)
                lists[str(document.get("id"))] = document
            trust = trust_from_files(
                trust_list,
                now=now,
                did_documents=[] if keys_file is None else [read_json(keys_file)],
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
        outcome = words_for(check.outcome, "en", "CheckOutcome")
        click.echo(f"{outcome:<12} {check_name(check.name, 'en')}: {check.reason}")
    verdict = report.verdict
    facts = [
        f"{name} {value}"
        for name, value in (
            ("at", verdict.at),
            ("because", verdict.category_text("en")),
            ("check", verdict.check and check_name(verdict.check, "en")),
            ("record", verdict.record),
        )
        if value
    ]
    label = words_for(verdict.kind, "en").upper()
    headline = verdict.headline("en")
    said = "" if headline.upper() == label else f" ({headline})"
    click.echo(f"{label}{said}: {report.records} records")
    if facts:
        click.echo("  " + "; ".join(facts))
    if verdict.kind is VerdictClass.REVOCATION_NOT_CHECKED and allow_unchecked_status:
        sys.exit(0)
    sys.exit(verdict.exit_status)


@main.command("trust-list")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def trust_list_command(out: Path) -> None:
    """Write this bank's trust list (its DID, log keys and signing keys) for verifiers."""
    from creditbank.transcripts.issuer import trust_list  # noqa: PLC0415

    opened = services()
    document = trust_list(opened.issuer_identity(), opened.ledger.keyring.verifiers())
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"wrote the trust list of {document['issuers'][0]['id']} to {out}")


# --- scheduler ------------------------------------------------------------------------------


@main.group("scheduler")
def scheduler_group() -> None:
    """Scheduled jobs: run a scheduler process, list jobs and their runs."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run() -> None:
    """Run a scheduler in this process until stopped (SIGTERM or Ctrl-C).

    Leader jobs run here only while this process holds the lease; run one of these on each
    of two hosts for a stand-by, with CREDITBANK_SCHEDULER=off for the web workers.
    """
    scheduler = lazy_services().scheduler(blocking=True)

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
    for spec in opened.jobs():
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
    scheduler = lazy_services().scheduler()
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


@main.group("db")
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


# --- keys, institutions and API clients (continued) -----------------------------------------


@keys_group.command("generate")
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


@institutions_group.command("list")
@with_appcontext
def institutions_list() -> None:
    """List the member institutions."""
    with read_connection(services().engine) as connection:
        found = list_institutions(connection)
    for item in found:
        info = item.info
        kind = words_for(info.kind, "en", "InstitutionKind")
        level = words_for(info.level, "en", "Level")
        region = words_for(info.region, "en", "Region")
        click.echo(
            f"{info.code:<14} {kind:<26} {level:<20} {region:<10} {info.name_zh} / {info.name_en}"
        )


@clients_group.command("list")
@click.option("--institution", help="Institution code; omit for the bank's operator keys.")
@with_appcontext
def clients_list(institution: str | None) -> None:
    """List the API keys of an institution or of the bank (never their secrets)."""
    with read_connection(services().engine) as connection:
        found = list_clients(connection, institution)
    for info in found:
        state = (
            f"revoked {_when(info.revoked_at)}"
            if info.status is KeyStatus.REVOKED
            else words_for(info.status, "en")
        )
        role = words_for(info.role, "en")
        click.echo(
            f"{info.key_id} {role:<10} {state:<28} issued by {info.issued_by:<26} {info.label}"
        )


@clients_group.command("revoke")
@click.argument("key_id")
@click.option("--institution", help="Institution code; omit for a bank operator key.")
@with_appcontext
def clients_revoke(key_id: str, institution: str | None) -> None:
    """Revoke an API key, on the record; it stops working at once."""
    info = revoke_client(services().ledger, institution, key_id, by=CONSOLE, now=utc_now())
    click.echo(f"revoked {info.key_id} ({info.role.value} of {info.institution or 'the bank'})")


# --- backups ---------------------------------------------------------------------------------


@main.group("backup")
def backup_group() -> None:
    """Export the database to files, and restore them into an empty database."""


@backup_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_export(directory: Path) -> None:
    """Write every table, in one snapshot, to DIRECTORY (new or empty), with a manifest."""
    manifest = export_backup(services().ledger, directory, schema=metadata, now=utc_now())
    rows = sum(table.rows for table in manifest.tables.values())
    click.echo(
        f"exported {rows} rows of {len(manifest.tables)} tables to {directory}: log size "
        f"{manifest.log.size}, root {manifest.log.root_hash.hex()}"
    )
    click.echo(
        "the log's signing keys and the key-encryption keys are not in it: back up the "
        "instance's keys/ folder separately"
    )


@backup_group.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def backup_restore(directory: Path) -> None:
    """Check the backup in DIRECTORY and load it into this instance's empty database."""
    settings = lazy_services().settings
    if not (settings.keys_path / "keyring.json").exists():
        raise BackupError(
            f"no log keys in {settings.keys_path}: copy the instance's keys/ folder from the key "
            "backup first (restore never makes new keys)"
        )
    result = restore_backup(services().ledger, directory, schema=metadata)
    click.echo(
        f"restored {result.rows} rows; audit ok: {result.audit.entries_checked} entries, "
        f"{result.audit.checkpoints_checked} checkpoints; root {result.audit.root_hash.hex()} "
        "(as in the manifest)"
    )


@backup_group.command("keys-export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_keys_export(file: Path) -> None:
    """Write the open accounts' data keys (wrapped under the KEK) to a new FILE.

    Backups leave the key store out; keep this file apart, for fewer days than the grace
    period before a closed account is erased (CREDITBANK_RETENTION closed_account).
    """
    from creditbank.backup.keys import export_learner_keys  # noqa: PLC0415

    count = export_learner_keys(services().engine, file)
    click.echo(f"exported {count} learner data keys to {file} (closed accounts' keys left out)")


@backup_group.command("keys-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def backup_keys_import(file: Path) -> None:
    """Load learner data keys from FILE into the key store (after restoring a backup)."""
    from creditbank.backup.keys import import_learner_keys  # noqa: PLC0415

    count = import_learner_keys(services().engine, file)
    click.echo(f"imported {count} learner data keys from {file}")


# --- learners' data ------------------------------------------------------------------------


@main.group("learners")
def learners_group() -> None:
    """Learners' personal data: sealing it under their own keys."""


@learners_group.command("seal-data")
@with_appcontext
def learners_seal_data() -> None:
    """Seal what was stored before migration 0019 under each learner's own data key."""
    from creditbank.privacy.erasure import compact  # noqa: PLC0415
    from creditbank.privacy.seal_existing import seal_existing  # noqa: PLC0415

    opened = services()
    done = seal_existing(opened.ledger)
    compact(opened.engine)
    click.echo(str(done))


main.add_command(witness_group)
