"""The SQLite database, its WAL and shared-memory files are owner-only, in an owner-only folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from creditbank.config import sqlite_url
from creditbank.storage.database import create_db_engine
from creditbank.wiring import Services
from tests.ledger.helpers import entries


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_instance_is_private(services: Services) -> None:
    services.ledger.append(entries(3))
    folder = Path(services.settings.instance_path)
    database = folder / "creditbank.sqlite3"
    assert _mode(folder) == 0o700
    files = [database, *(database.with_name(database.name + t) for t in ("-wal", "-shm"))]
    assert all(path.exists() for path in files)
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_files_left_readable_are_narrowed(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        database = tmp_path / "loose" / "bank.sqlite3"
        database.parent.mkdir()
        database.write_bytes(b"")
        database.with_name("bank.sqlite3-wal").write_bytes(b"")
        assert _mode(database) == 0o644
        engine = create_db_engine(sqlite_url(database))
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x)")
        engine.dispose()
        assert _mode(database) == 0o600
        fresh = tmp_path / "new" / "deeper" / "bank.sqlite3"
        create_db_engine(sqlite_url(fresh)).dispose()
        assert _mode(fresh) == 0o600 and _mode(fresh.parent) == 0o700
    finally:
        os.umask(old_umask)
