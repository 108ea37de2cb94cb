"""Files only the service's user may read: signing keys, key-encryption keys, the SQLite file.

They share how such files are created: owner-only from the moment they exist, flushed to
disk, in owner-only folders.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def write_new_private(path: Path, data: bytes) -> None:
    """Write a new file that is owner-only from the moment it exists, and flush it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        # The umask may only have narrowed the mode; make it exactly 0600.
        os.fchmod(fd, FILE_MODE)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(directory: Path) -> None:
    """Flush a folder's entries (a new or renamed file survives a crash)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_directory(directory: Path) -> None:
    """Create ``directory`` (and missing parents) owner-only, and make it 0700 if it exists."""
    missing: list[Path] = []
    for path in (directory, *directory.parents):
        if path.exists():
            break
        missing.append(path)
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=DIRECTORY_MODE)
    os.chmod(directory, DIRECTORY_MODE)


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_database_file(path: Path) -> None:
    """Create the SQLite file owner-only (its folder too, if missing) before SQLite opens it.

    SQLite gives its WAL and shared-memory files the database file's mode, so they are
    owner-only as well; files left by an earlier version are narrowed to 0600 here.
    """
    if not path.parent.exists():
        make_private_directory(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for candidate in (path, *(path.with_name(path.name + tail) for tail in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            if candidate.stat().st_mode & 0o777 != FILE_MODE:
                os.chmod(candidate, FILE_MODE)
