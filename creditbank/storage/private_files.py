"""Files only the service's user may read: the log's signing keys and the key-encryption keys.

Both keep secrets outside the database, so they share how such files are created: owner-only
from the moment they exist, flushed to disk, in owner-only folders.
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
