"""Writing notices in the caller's transaction, listing them and marking them read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from creditbank.identity.sealing import KEY_SEAL_PREFIX, open_with_key, seal_with_key
from creditbank.ledger.sealed_openings import installed_source
from creditbank.notices.kinds import Lang, NoticeKind, words
from creditbank.notices.tables import Notice, OutboxMessage

notice_t = Notice.__table__  # type: ignore[attr-defined]
outbox_t = OutboxMessage.__table__  # type: ignore[attr-defined]


class Recipient(StrEnum):
    """Who a notice is for."""

    LEARNER = "learner"
    INSTITUTION = "institution"


@dataclass(frozen=True)
class NoticeView:
    """A notice as its recipient reads it."""

    id: str
    kind: NoticeKind
    params: Mapping[str, Any]
    created_at: datetime
    read_at: datetime | None

    def subject(self, lang: Lang) -> str:
        """The subject line in ``lang``."""
        return words(self.kind, self.params, lang)[0]

    def body(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return words(self.kind, self.params, lang)[1]


def notify(
    connection: Connection,
    recipient: Recipient,
    to: str,
    kind: NoticeKind,
    params: Mapping[str, Any],
    *,
    event_key: str,
    now: datetime,
) -> bool:
    """Write a notice (and, for a learner, its e-mail) unless ``event_key`` was noticed before.

    Runs in the caller's transaction, so the notice exists exactly when the event does. A
    learner's e-mail is queued whether or not an address is known: the sending job reads the
    address when it sends, so an address given, changed or erased meanwhile is respected.
    Returns whether a notice was written.
    """
    notice_id = str(uuid.uuid4())
    text = json.dumps(dict(params), ensure_ascii=False, sort_keys=True)
    if recipient is Recipient.LEARNER:
        # What a learner is told may hold their own words: sealed under their data key.
        key = _learner_key(connection, to, create=True)
        if key is _ERASED:
            return False  # the learner's data was erased: nobody is left to tell
        if key is not None:
            text = seal_with_key(key, text, context=params_context(notice_id))
    dialect = connection.dialect.name
    insert_notice = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(notice_t)
    written = connection.execute(
        insert_notice.values(
            id=notice_id,
            recipient_kind=recipient.value,
            recipient=to,
            kind=kind.value,
            params=text,
            event_key=event_key,
            created_at=now,
            read_at=None,
        )
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(notice_t.c.id)
    ).first()
    if written is None:
        return False  # this event was noticed before (a concurrent writer, or a rerun)
    if recipient is Recipient.LEARNER:
        connection.execute(
            insert(outbox_t).values(
                id=str(uuid.uuid4()),
                notice=notice_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                claimed_at=None,
                sent_at=None,
                last_error=None,
            )
        )
    return True


_ERASED = b""


def _learner_key(connection: Connection, learner: str, *, create: bool) -> bytes | None:
    """The learner's data key; ``_ERASED`` once destroyed; None without a key store."""
    source = installed_source(connection)
    if source is None:
        return None
    return source.keys_for(connection, [learner], create=create).get(learner, _ERASED)


def params_context(notice_id: str) -> str:
    """The sealing context of a learner's notice's parameters."""
    return f"notice:{notice_id}:params"


def _view(connection: Connection, row: Any) -> NoticeView:
    text = row.params
    if text.startswith(KEY_SEAL_PREFIX):
        key = _learner_key(connection, row.recipient, create=False)
        text = "{}" if not key else open_with_key(key, text, context=params_context(row.id))
    return NoticeView(row.id, NoticeKind(row.kind), json.loads(text), row.created_at, row.read_at)


def list_notices(
    connection: Connection, recipient: Recipient, to: str, *, limit: int = 50
) -> list[NoticeView]:
    """The newest notices of a recipient, newest first."""
    rows = connection.execute(
        select(notice_t)
        .where(notice_t.c.recipient_kind == recipient.value, notice_t.c.recipient == to)
        .order_by(notice_t.c.created_at.desc(), notice_t.c.id)
        .limit(limit)
    )
    return [_view(connection, row) for row in rows]


def unread_count(connection: Connection, recipient: Recipient, to: str) -> int:
    """How many notices the recipient has not marked read."""
    count: int = connection.execute(
        select(func.count())
        .select_from(notice_t)
        .where(
            notice_t.c.recipient_kind == recipient.value,
            notice_t.c.recipient == to,
            notice_t.c.read_at.is_(None),
        )
    ).scalar_one()
    return count


def mark_read(
    connection: Connection,
    recipient: Recipient,
    to: str,
    *,
    now: datetime,
    notice_id: str | None = None,
) -> int:
    """Mark one notice (or all of them) read; only the recipient's own notices change."""
    query = update(notice_t).where(
        notice_t.c.recipient_kind == recipient.value,
        notice_t.c.recipient == to,
        notice_t.c.read_at.is_(None),
    )
    if notice_id is not None:
        query = query.where(notice_t.c.id == notice_id)
    return connection.execute(query.values(read_at=now)).rowcount


def read_notice(connection: Connection, notice_id: str) -> tuple[Recipient, str, NoticeView]:
    """A notice with its recipient (for the sending job)."""
    row = connection.execute(select(notice_t).where(notice_t.c.id == notice_id)).one()
    return Recipient(row.recipient_kind), row.recipient, _view(connection, row)
