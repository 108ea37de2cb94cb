"""Restore a backup into an empty database, checked before and after loading.

Before any write: the manifest and every file's SHA-256 and row count, the schema revision,
the instance's log key against the backup's checkpoint, and that the database is empty. Then,
in one transaction: every row inserted (the append-only triggers allow INSERT), PostgreSQL's
sequences moved past the restored ids, and the full ledger audit run on what was loaded. The
transaction commits only if the audit passes and the recomputed root is the manifest's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.types import Integer

from creditbank.backup.columns import TableCodec
from creditbank.backup.export import ALEMBIC_TABLE, backed_up
from creditbank.backup.manifest import Manifest, check_files, read_manifest
from creditbank.backup.seal import check_seal
from creditbank.errors import BackupError, CreditbankError
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.full_audit import AuditReport, audit_ledger
from creditbank.ledger.partitions import ensure_ahead
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import latest_checkpoint
from creditbank.storage.database import create_db_engine, is_sqlite, write_transaction
from creditbank.storage.migrate import current_revision, head_revision, upgrade

_INSERT_CHUNK = 1000


@dataclass(frozen=True)
class RestoreResult:
    """What was restored and what the audit of it found."""

    manifest: Manifest
    rows: int
    audit: AuditReport


def _check_tables(manifest: Manifest, schema: MetaData) -> None:
    known = {table.name for table in backed_up(schema)}
    if unknown := sorted(set(manifest.tables) - known):
        raise BackupError(f"the backup holds table {unknown[0]}, which this service does not know")
    if missing := sorted(known - set(manifest.tables)):
        raise BackupError(f"the backup lacks table {missing[0]}")


def _check_log_key(ledger: Ledger, manifest: Manifest) -> None:
    if manifest.origin != ledger.origin:
        raise BackupError(
            f"the backup is of log {manifest.origin!r}, this instance signs as {ledger.origin!r} "
            "(set CREDITBANK_LOG_ORIGIN)"
        )
    try:
        open_checkpoint(manifest.log.checkpoint_note, ledger.keyring.verifiers(), ledger.origin)
    except CreditbankError as exc:
        raise BackupError(
            f"this instance's log keys do not verify the backup's checkpoint ({exc.detail}): "
            "restore the instance's keys/ folder from the key backup first"
        ) from None


@cache
def seeded_rows(schema: MetaData) -> dict[str, int]:
    """Rows the migrations themselves create in each table (a fresh in-memory database)."""
    scratch = create_db_engine("sqlite://")
    try:
        upgrade(scratch)
        with scratch.connect() as connection:
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in schema.sorted_tables
            }
    finally:
        scratch.dispose()
    return {name: count for name, count in counts.items() if count}


def _prepare_target(engine: Engine, manifest: Manifest, schema: MetaData) -> None:
    head = head_revision(engine)
    if manifest.schema_revision != head:
        raise BackupError(
            f"the backup is at schema revision {manifest.schema_revision}, this version of "
            f"creditbank at {head}: restore with the version that wrote it, then upgrade"
        )
    revision = current_revision(engine)
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names()) - {ALEMBIC_TABLE}
    if revision is None:
        if present:
            raise BackupError(
                f"the database is not empty: it holds table {sorted(present)[0]} but was never "
                "migrated; restore needs an empty database"
            )
        upgrade(engine)
    elif revision != head:
        raise BackupError(
            f"the database is at schema revision {revision}, not {head}: restore needs an "
            "empty database"
        )
    seeded = seeded_rows(schema)
    with engine.connect() as connection:
        # The key store is not in backups: it may hold the keys already (see backup/keys.py).
        for table in backed_up(schema):
            rows = connection.execute(select(func.count()).select_from(table)).scalar_one()
            if rows != seeded.get(table.name, 0):
                raise BackupError(
                    f"the database is not empty (table {table.name} has {rows} rows): restore "
                    "only into an empty database"
                )


def _read_rows(directory: Path, manifest: Manifest, table: Table) -> Iterator[dict[str, Any]]:
    codec = TableCodec(table)
    name = manifest.tables[table.name].file
    with (directory / name).open("r", encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            where = f"backup file {name} line {number}"
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise BackupError(f"{where}: not JSON ({exc})") from None
            yield codec.decode(obj, where)


def _parents_first(table: Table, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Order rows so that a row a foreign key of the same table points to comes first."""
    links = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not links:
        yield from rows
        return
    pending = list(rows)
    inserted: dict[str, set[Any]] = {target: set() for _, target in links}
    present = {target: {row[target] for row in pending} for _, target in links}
    while pending:
        ready: list[dict[str, Any]] = []
        waiting: list[dict[str, Any]] = []
        for row in pending:
            fine = all(
                row[source] is None
                or row[source] in inserted[target]
                or row[source] not in present[target]
                for source, target in links
            )
            (ready if fine else waiting).append(row)
        if not ready:
            raise BackupError(f"table {table.name}: its rows refer to each other in a cycle")
        for row in ready:
            for _, target in links:
                inserted[target].add(row[target])
            yield row
        pending = waiting


def _load_table(connection: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    chunk: list[dict[str, Any]] = []
    for row in _parents_first(table, rows):
        chunk.append(row)
        if len(chunk) == _INSERT_CHUNK:
            connection.execute(table.insert(), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def _advance_sequences(connection: Connection, schema: MetaData) -> None:
    """Move PostgreSQL's serial sequences past the restored ids (explicit ids do not)."""
    if is_sqlite(connection):
        return  # SQLite's INTEGER PRIMARY KEY takes max(rowid) + 1 by itself
    quote = connection.dialect.identifier_preparer.quote
    for table in schema.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote(table.name), "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            highest = connection.execute(select(func.max(column))).scalar_one()
            connection.execute(
                text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": highest or 1, "called": highest is not None},
            )


def _check_restored(connection: Connection, ledger: Ledger, manifest: Manifest) -> AuditReport:
    try:
        report = audit_ledger(connection, ledger.keyring.verifiers(), ledger.origin)
    except CreditbankError as exc:
        raise BackupError(f"the restored log does not pass the audit: {exc.detail}") from None
    if report.size != manifest.log.size or report.root_hash != manifest.log.root_hash:
        raise BackupError(
            f"the restored log has size {report.size} and root {report.root_hash.hex()}, the "
            f"manifest says size {manifest.log.size} and root {manifest.log.root_hash.hex()}"
        )
    latest = latest_checkpoint(connection)
    if latest is None or latest.note != manifest.log.checkpoint_note:
        raise BackupError("the restored latest checkpoint is not the manifest's")
    return report


def restore_backup(ledger: Ledger, directory: Path, *, schema: MetaData) -> RestoreResult:
    """Load the backup in ``directory`` into ``ledger``'s empty database, or change nothing.

    ``schema`` is every table of the service (:mod:`creditbank.schema`).
    """
    # 1. The manifest, and every file's hash and row count, before anything is written.
    manifest = read_manifest(directory)
    check_files(directory, manifest)
    _check_tables(manifest, schema)
    # 2. The keys live outside the database: the instance's must verify the backup's log,
    #    and the seal on the manifest (so a file altered with its hash in the manifest fails).
    _check_log_key(ledger, manifest)
    check_seal(directory, ledger.keyring, ledger.origin)
    # 3. The database: migrated to the backup's revision if blank, and empty.
    _prepare_target(ledger.engine, manifest, schema)
    seeded = seeded_rows(schema)
    rows = 0
    with write_transaction(ledger.engine) as connection:
        # 4. Replace what the migrations seeded (the genesis head) with the backup's rows.
        for name in seeded:
            connection.execute(schema.tables[name].delete())
        # On PostgreSQL the log's partitions must hold every restored index.
        ensure_ahead(connection, size=manifest.log.size)
        for table in backed_up(schema):
            rows += _load_table(connection, table, _read_rows(directory, manifest, table))
        _advance_sequences(connection, schema)
        # 5. The audit runs on the loaded rows before they commit.
        report = _check_restored(connection, ledger, manifest)
    return RestoreResult(manifest, rows, report)
