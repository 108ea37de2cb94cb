"""The daily backup job keeps the newest few complete backups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from creditbank.backup.manifest import read_manifest
from creditbank.backup.schedule import backup_job, complete_backups, scheduled_export
from creditbank.errors import BackupError
from creditbank.ledger.sequencer import NewEntry
from creditbank.schema import metadata
from creditbank.wiring import Services


def test_keeps_the_newest_n_and_each_is_complete(services: Services) -> None:
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    made = []
    for day in range(4):
        services.ledger.append([NewEntry("record.posted", "bank", {"day": day})])
        made.append(
            scheduled_export(
                services.ledger,
                services.settings.backups_path,
                schema=metadata,
                keep=2,
                now=start + timedelta(days=day),
            )
        )
    folder = services.settings.backups_path
    assert complete_backups(folder) == [made[2].path, made[3].path]
    assert made[3].removed == (made[1].path,)
    assert [read_manifest(b.path).log.size for b in made[2:]] == [3, 4]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert not [p for p in folder.iterdir() if p.name.startswith(".partial-")]


def test_a_failed_export_leaves_no_partial_folder(services: Services, tmp_path: Path) -> None:
    with services.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    with pytest.raises(BackupError, match="table stray is in the database"):
        scheduled_export(services.ledger, tmp_path / "b", schema=metadata, keep=1)
    assert list((tmp_path / "b").iterdir()) == []


def test_the_job_says_what_it_did(services: Services) -> None:
    said = backup_job(
        services.ledger,
        services.settings.backups_path,
        schema=metadata,
        keep=services.settings.backups_kept,
    )
    assert said.startswith("backup of log size 0 in ")
    assert complete_backups(services.settings.backups_path)[0].name in said
