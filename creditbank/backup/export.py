"""Export every table, in one snapshot, to JSON lines files plus a manifest."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, inspect, select

from creditbank.backup.columns import TableCodec
from creditbank.backup.manifest import LogState, Manifest, TableFile
from creditbank.backup.seal import write_seal
from creditbank.errors import BackupError
from creditbank.ledger.partitions import is_partition
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.storage.database import snapshot_connection
from creditbank.storage.private_files import fsync_directory, make_private_directory

# Alembic's own bookkeeping; the manifest records the revision instead.
ALEMBIC_TABLE = "alembic_version"
_ROWS_PER_FETCH = 1000


def backed_up(schema: MetaData) -> list[Table]:
    """The tables a backup holds, in dependency order: all but those marked ``backup: False``.

    The learners' key store (``learner_key``) is left out on purpose: a backup holds their
    data sealed under those keys, never the keys, so an erasure reaches every backup.
    """
    return [table for table in schema.sorted_tables if table.info.get("backup", True)]


def backup_tables(connection: Connection, schema: MetaData) -> list[Table]:
    """Every table of the metadata in dependency order; refuse any the database adds or lacks."""
    # The log's PostgreSQL partitions are exported through their parents.
    present = {name for name in inspect(connection).get_table_names() if not is_partition(name)} - {
        ALEMBIC_TABLE
    }
    known = set(schema.tables)
    if unknown := sorted(present - known):
        raise BackupError(
            f"table {unknown[0]} is in the database but not in the service's metadata, so a "
            "backup does not know how to export it (is its module listed in "
            "creditbank/schema.py?)"
        )
    if missing := sorted(known - present):
        raise BackupError(
            f"table {missing[0]} is missing from the database: migrate it ('creditbank init')"
        )
    return backed_up(schema)


def _write_table(connection: Connection, table: Table, path: Path) -> TableFile:
    codec = TableCodec(table)
    digest = hashlib.sha256()
    rows = 0
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=_ROWS_PER_FETCH).execute(query)
    with path.open("wb") as out:
        for row in result:
            line = json.dumps(codec.encode(row), ensure_ascii=False, separators=(",", ":"))
            data = line.encode("utf-8") + b"\n"
            out.write(data)
            digest.update(data)
            rows += 1
        out.flush()
        os.fsync(out.fileno())
    return TableFile(path.name, rows, digest.hexdigest())


def _prepare_directory(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} exists and is not an empty folder: choose a new one")
    # The files hold sealed personal data and password hashes: owner-only, like the keys.
    make_private_directory(directory)


def export_backup(ledger: Ledger, directory: Path, *, schema: MetaData, now: datetime) -> Manifest:
    """Export every table of ``schema`` in ``ledger``'s database to ``directory``.

    Returns the manifest written beside the files.

    A checkpoint of the current tree is published first, so the backup ends on a signed one.
    """
    _prepare_directory(directory)
    ledger.publish_checkpoint()
    with snapshot_connection(ledger.engine) as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None:
            raise BackupError("the database was never migrated: nothing to back up")
        head = read_head(connection)
        checkpoint = latest_checkpoint(connection)
        if checkpoint is None:  # only if someone deleted them: the log tables forbid it
            raise BackupError("the log has no checkpoint to end the backup on")
        files = {
            table.name: _write_table(connection, table, directory / f"{table.name}.jsonl")
            for table in backup_tables(connection, schema)
        }
    manifest = Manifest(
        created_at=now.isoformat(),
        schema_revision=revision,
        origin=ledger.origin,
        log=LogState(
            size=head.size,
            root_hash=head.root_hash,
            checkpoint_size=checkpoint.size,
            checkpoint_root_hash=checkpoint.root_hash,
            checkpoint_note=checkpoint.note,
        ),
        tables=files,
    )
    manifest.write(directory)
    write_seal(directory, ledger.keyring, ledger.origin)
    fsync_directory(directory)
    return manifest
