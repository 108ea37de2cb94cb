"""The learners' key store, backed up apart from the database and never with closed accounts.

Backups (``export.py``) leave ``learner_key`` out. Its own export holds the wrapped keys (under
the KEK, so the file alone opens nothing) of accounts that are open: a closed account's key is
left out from the day it is closed, so once the grace period is over no key backup kept for
less than it still holds the key, and the erasure reaches every copy. The import fills an
empty key store (a database restored from a backup) and never brings back a key a tombstone
says was destroyed.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select

from creditbank.errors import BackupError
from creditbank.learners.data_keys import key_t
from creditbank.learners.service import learner_t
from creditbank.storage.database import read_connection, write_transaction
from creditbank.storage.private_files import write_new_private

FORMAT = "creditbank-learner-keys/v1"


def export_learner_keys(engine: Engine, path: Path) -> int:
    """Write the keys of open accounts to a new owner-only file; return how many."""
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(key_t.c.learner, key_t.c.wrapped, key_t.c.created_at)
            .outerjoin(learner_t, learner_t.c.id == key_t.c.learner)
            .where(key_t.c.wrapped.is_not(None), learner_t.c.closed_at.is_(None))
            .order_by(key_t.c.learner)
        ).all()
    lines = [json.dumps({"format": FORMAT, "keys": len(rows)})]
    lines += [
        json.dumps({"learner": learner, "wrapped": wrapped, "created_at": created.isoformat()})
        for learner, wrapped, created in rows
    ]
    if path.exists():
        raise BackupError(f"{path} exists: choose a new file")
    write_new_private(path, ("\n".join(lines) + "\n").encode("ascii"))
    return len(rows)


def import_learner_keys(engine: Engine, path: Path) -> int:
    """Load a key export; keys already present, or destroyed, are left as they are."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()
        header = json.loads(lines[0])
        items = [json.loads(line) for line in lines[1:] if line]
    except (OSError, ValueError, IndexError) as exc:
        raise BackupError(f"{path} is not a learner key export: {exc}") from None
    if header.get("format") != FORMAT or header.get("keys") != len(items):
        raise BackupError(f"{path} is not a complete {FORMAT} export")
    with write_transaction(engine) as connection:
        present = set(connection.execute(select(key_t.c.learner)).scalars())
        fresh = [
            {
                "learner": item["learner"],
                "wrapped": item["wrapped"],
                "created_at": datetime.fromisoformat(item["created_at"]),
                "destroyed_at": None,
            }
            for item in items
            if item["learner"] not in present
        ]
        if fresh:
            connection.execute(insert(key_t), fresh)
    return len(fresh)
