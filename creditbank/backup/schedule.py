"""The daily backup job: a fresh export into the backups folder, keeping the newest few."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import MetaData

from creditbank.backup.export import export_backup
from creditbank.backup.manifest import MANIFEST
from creditbank.clock import utc_now
from creditbank.ledger.service import Ledger
from creditbank.storage.private_files import fsync_directory, make_private_directory

PREFIX = "creditbank-backup-"
_PARTIAL = ".partial-"


@dataclass(frozen=True)
class ScheduledBackup:
    """Where the new backup went, its log size, and the old ones removed."""

    path: Path
    size: int
    removed: tuple[Path, ...]


def _name(moment: datetime) -> str:
    return PREFIX + moment.strftime("%Y%m%dT%H%M%S%fZ")


def complete_backups(folder: Path) -> list[Path]:
    """The finished backups in ``folder``, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(PREFIX) and (path / MANIFEST).is_file()
    )


def scheduled_export(
    ledger: Ledger,
    folder: Path,
    *,
    schema: MetaData,
    keep: int,
    now: datetime | None = None,
) -> ScheduledBackup:
    """Export a backup into ``folder`` and keep only the newest ``keep`` backups there.

    The export is written under a hidden name and renamed when complete, so a crash never
    leaves a half-written backup that looks finished, and never removes a good one.
    """
    moment = now or utc_now()
    if keep < 1:
        raise ValueError("keep at least one backup")
    make_private_directory(folder)  # the backup holds sealed personal data and password hashes
    final = folder / _name(moment)
    partial = folder / (_PARTIAL + final.name)
    shutil.rmtree(partial, ignore_errors=True)
    try:
        manifest = export_backup(ledger, partial, schema=schema, now=moment)
        os.replace(partial, final)
        fsync_directory(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    backups = complete_backups(folder)
    removed = tuple(backups[: max(0, len(backups) - keep)])
    for old in removed:
        shutil.rmtree(old)
    return ScheduledBackup(final, manifest.log.size, removed)


def backup_job(ledger: Ledger, folder: Path, *, schema: MetaData, keep: int) -> str:
    """The scheduler's daily job: export, prune, and say what was done (for the job's record)."""
    done = scheduled_export(ledger, folder, schema=schema, keep=keep)
    removed = f", removed {len(done.removed)} older" if done.removed else ""
    return f"backup of log size {done.size} in {done.path}{removed}"
