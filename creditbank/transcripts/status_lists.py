"""The bank's status lists as stored: placing a transcript in one, signing one, reading one.

A list is signed when it is created (by the first transcript placed in it), again in every
transaction that revokes one of its transcripts, and by the scheduled job (after a key
rotation, or for a list nothing signed yet); serving a list or verifying a transcript only
reads what is stored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from creditbank.errors import NotFound
from creditbank.storage.database import read_connection, write_transaction
from creditbank.transcripts import status
from creditbank.transcripts.credential import Issuer
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.tables import StatusList, Transcript

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
status_list_t = StatusList.__table__  # type: ignore[attr-defined]


def allocate_status(connection: Connection, issuer: Issuer, now: datetime) -> tuple[int, int]:
    """A random free index in a status list with room (a new list, signed, when all are full)."""
    row = connection.execute(
        select(status_list_t)
        .where(status_list_t.c.used < status.FILL_LIMIT)
        .order_by(status_list_t.c.id)
        .limit(1)
        .with_for_update()
    ).first()
    if row is None:
        list_id = (
            int(
                connection.execute(
                    select(func.coalesce(func.max(status_list_t.c.id), 0))
                ).scalar_one()
            )
            + 1
        )
        connection.execute(insert(status_list_t).values(id=list_id, size=status.LIST_BITS, used=0))
        sign_list(connection, list_id, issuer, now)
        size = status.LIST_BITS
    else:
        list_id, size = row.id, row.size
    while True:
        index = secrets.randbelow(size)
        taken = connection.execute(
            select(transcript_t.c.id).where(
                transcript_t.c.status_list == list_id, transcript_t.c.status_index == index
            )
        ).first()
        if taken is None:
            break
    connection.execute(
        update(status_list_t)
        .where(status_list_t.c.id == list_id)
        .values(used=status_list_t.c.used + 1)
    )
    return list_id, index


def _revoked_indices(connection: Connection, list_id: int) -> list[int]:
    return sorted(
        connection.execute(
            select(transcript_t.c.status_index).where(
                transcript_t.c.status_list == list_id, transcript_t.c.revoked_at.is_not(None)
            )
        ).scalars()
    )


def sign_list(connection: Connection, list_id: int, issuer: Issuer, now: datetime) -> bool:
    """Re-sign list ``list_id`` in the caller's write transaction if its bits or key changed.

    Returns whether it signed. The row is locked first, so two transactions revoking in one
    list sign one after the other, the second seeing the first's revocation.
    """
    row = connection.execute(
        select(status_list_t).where(status_list_t.c.id == list_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no status list {list_id}")
    revoked = _revoked_indices(connection, list_id)
    digest = hashlib.sha256(json.dumps([revoked, issuer.method_id]).encode("ascii")).hexdigest()
    if row.credential is not None and row.signed_digest == digest:
        return False
    credential = status.status_list_credential(
        public_url=issuer.public_url,
        list_id=list_id,
        revoked=revoked,
        issuer=issuer.did,
        method_id=issuer.method_id,
        private_key=issuer.private_key,
        now=now.replace(microsecond=0),
    )
    connection.execute(
        update(status_list_t)
        .where(status_list_t.c.id == list_id)
        .values(signed_digest=digest, credential=json.dumps(credential), signed_at=now)
    )
    return True


def stored_list(connection: Connection, list_id: int) -> dict[str, Any]:
    """The signed status list credential as stored (never signed here: reading only)."""
    row = connection.execute(
        select(status_list_t.c.credential).where(status_list_t.c.id == list_id)
    ).first()
    if row is None:
        raise NotFound(f"no status list {list_id}")
    if row.credential is None:
        raise NotFound(f"status list {list_id} is not signed yet")
    document: dict[str, Any] = json.loads(row.credential)
    return document


def status_list_document(engine: Engine, list_id: int) -> dict[str, Any]:
    """The signed status list credential the bank serves, read in a read transaction."""
    with read_connection(engine) as connection:
        return stored_list(connection, list_id)


def refresh_status_lists(engine: Engine, identity: IssuerIdentity, *, now: datetime) -> int:
    """Re-sign every status list whose bits or signing key changed; return how many.

    The scheduled job: revocations sign their lists as they commit, so this signs lists after
    a key rotation, and any list nothing has signed yet.
    """
    with read_connection(engine) as connection:
        ids = list(
            connection.execute(select(status_list_t.c.id).order_by(status_list_t.c.id)).scalars()
        )
    issuer = identity.current()
    signed = 0
    for list_id in ids:
        with write_transaction(engine) as connection:
            signed += sign_list(connection, list_id, issuer, now)
    return signed
