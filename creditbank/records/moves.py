"""Moving a learner's records to the account their two accounts were merged into.

A transcript names its learner by account id and its verifier checks that each record's
committed payload names the same learner, so a move is a new version of each active record:
a ``record.corrected`` entry with unchanged content, the surviving account as ``learner``,
``supersedes`` the version before and ``merge`` the index of the ``learner.merged`` entry that
caused it. Revoked records cannot change any more; they follow the account without an entry.
Transcripts issued before stay true (they name the alias) and are left alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from creditbank.canonical import canonical_json
from creditbank.learners.data_keys import vault
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import LedgerTransaction
from creditbank.records.contents import load_content, seal_content
from creditbank.records.service import Action, RecordStatus, record_t, version_t

MOVE_REASON = "moved to the account this learner's accounts were merged into"


def move_records(
    tx: LedgerTransaction,
    alias: str,
    into: str,
    /,
    *,
    merge_index: int,
    actor: str,
    now: datetime,
) -> int:
    """Give every record of ``alias`` to ``into`` in ``tx``; return how many moved."""
    rows = list(
        tx.connection.execute(
            select(record_t)
            .where(record_t.c.learner == alias)
            .order_by(record_t.c.id)
            .with_for_update()
        )
    )
    active = [row for row in rows if row.status != RecordStatus.REVOKED.value]
    previous: dict[str, Any] = {}
    for row in active:
        previous[row.id] = tx.connection.execute(
            select(version_t).where(
                version_t.c.record == row.id, version_t.c.version == row.version
            )
        ).one()
    box = vault(tx.connection)
    outcomes = {
        row.id: load_content(box, alias, row.id, row.version, previous[row.id].content)
        for row in active
    }
    entries = [
        NewEntry(
            EntryKind.RECORD_CORRECTED,
            actor,
            {
                "record": row.id,
                "version": row.version + 1,
                "learner": into,
                "institution": row.institution,
                "supersedes": previous[row.id].ledger_index,
                "reason": MOVE_REASON,
                "outcome": outcomes[row.id],
                "merge": merge_index,
            },
        )
        for row in active
    ]
    indices = tx.append(entries, now=now).indices if entries else range(0)
    for row, index in zip(active, indices, strict=True):
        tx.connection.execute(
            insert(version_t).values(
                record=row.id,
                version=row.version + 1,
                action=Action.MOVED.value,
                content=seal_content(
                    box,
                    into,
                    row.id,
                    row.version + 1,
                    canonical_json(outcomes[row.id]).decode("utf-8"),
                ),
                reason=MOVE_REASON,
                recorded_at=now,
                ledger_index=index,
            )
        )
        tx.connection.execute(
            update(record_t)
            .where(record_t.c.id == row.id)
            .values(version=row.version + 1, updated_at=now)
        )
    tx.connection.execute(update(record_t).where(record_t.c.learner == alias).values(learner=into))
    return len(rows)
