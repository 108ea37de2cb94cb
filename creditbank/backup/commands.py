"""``creditbank backup export DIR`` and ``creditbank backup restore DIR``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from creditbank.backup.export import export_backup
from creditbank.backup.restore import restore_backup
from creditbank.clock import utc_now
from creditbank.errors import BackupError
from creditbank.services import lazy_services, services


@click.group("backup")
def backup_group() -> None:
    """Export the database to files, and restore them into an empty database."""


@backup_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_export(directory: Path) -> None:
    """Write every table, in one snapshot, to DIRECTORY (new or empty), with a manifest."""
    manifest = export_backup(services().ledger, directory, now=utc_now())
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
    result = restore_backup(services().ledger, directory)
    click.echo(
        f"restored {result.rows} rows; audit ok: {result.audit.entries_checked} entries, "
        f"{result.audit.checkpoints_checked} checkpoints; root {result.audit.root_hash.hex()} "
        "(as in the manifest)"
    )
