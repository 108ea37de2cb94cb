"""Erasing an entry's payload (a learner's right to deletion) while the log stays whole.

The entry and its commitment stay; only the opening goes. The erasure is recorded first, in
the same transaction: the database refuses to delete an opening without that record, and the
audit names an opening that vanished without one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from creditbank.errors import NotFound
from creditbank.ledger.store import opening_t, sealed_opening_t
from creditbank.ledger.tables import LedgerErasure

erasure_t = LedgerErasure.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def erase_opening(connection: Connection, index: int, *, reason: str, now: datetime) -> None:
    """Record the erasure of entry ``index``'s payload, then delete the payload."""
    found = connection.execute(select(opening_t.c.idx).where(opening_t.c.idx == index)).first()
    sealed = connection.execute(
        select(sealed_opening_t.c.idx).where(sealed_opening_t.c.idx == index)
    ).first()
    if found is None and sealed is None:
        raise NotFound(f"entry {index} has no payload to erase")
    connection.execute(insert(erasure_t).values(idx=index, erased_at=now, reason=reason))
    connection.execute(delete(opening_t).where(opening_t.c.idx == index))
    connection.execute(delete(sealed_opening_t).where(sealed_opening_t.c.idx == index))


def erase_learner_openings(
    connection: Connection, learner: str, *, reason: str, now: datetime
) -> list[int]:
    """Record the erasure of every opening sealed for ``learner``, then delete them all.

    Returns the indices erased. (Destroying the learner's key already made them unreadable
    everywhere; this removes the ciphertext from the live database and says so in the record
    the audit reads.)
    """
    indices = sorted(
        connection.execute(
            select(sealed_opening_t.c.idx).where(sealed_opening_t.c.learner == learner)
        ).scalars()
    )
    already = erased(connection, indices)
    fresh = [idx for idx in indices if idx not in already]
    for start in range(0, len(fresh), _CHUNK):
        chunk = fresh[start : start + _CHUNK]
        connection.execute(
            insert(erasure_t), [{"idx": idx, "erased_at": now, "reason": reason} for idx in chunk]
        )
    for start in range(0, len(indices), _CHUNK):
        chunk = indices[start : start + _CHUNK]
        connection.execute(delete(sealed_opening_t).where(sealed_opening_t.c.idx.in_(chunk)))
    return indices


def erased_at(connection: Connection, indices: Collection[int]) -> dict[int, datetime]:
    """When each of ``indices`` that was erased was erased."""
    wanted = sorted(indices)
    found: dict[int, datetime] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = connection.execute(
            select(erasure_t.c.idx, erasure_t.c.erased_at).where(erasure_t.c.idx.in_(chunk))
        )
        found.update((idx, moment) for idx, moment in rows)
    return found


def erased(connection: Connection, indices: Collection[int]) -> set[int]:
    """Those of ``indices`` whose payload was erased on purpose."""
    wanted = sorted(indices)
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            connection.execute(select(erasure_t.c.idx).where(erasure_t.c.idx.in_(chunk))).scalars()
        )
    return found
