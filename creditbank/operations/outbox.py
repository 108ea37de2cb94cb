"""The outbox job: e-mails learners their notices, with retries, never inside a request.

Delivery is at least once. A message is claimed (``sending``, one more attempt counted) in a
committed transaction before it is handed to the mail server, and marked ``sent`` right
after, so two processes never send one message together. A mail server that is down or
answers with a temporary error leaves the message ``pending`` with a later
``next_attempt_at`` (exponential backoff); nothing is dropped. The one case that can repeat a
message is a crash in the instant between the server accepting it and the mark being
written: the claim's lease runs out and the message is sent again. Every send of one message
carries the same ``Message-ID`` (made from its outbox id), so a mail server or client that
has it already treats the repeat as the same message.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, suppress
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update

from creditbank.identity.sealing import FieldSealer
from creditbank.learners.contact import read_email
from creditbank.notices.service import Recipient, read_notice
from creditbank.notices.tables import OutboxMessage
from creditbank.operations.mail import MailSettings, Send
from creditbank.storage.database import read_connection, write_transaction

outbox_t = OutboxMessage.__table__  # type: ignore[attr-defined]
Connect = Callable[[], AbstractContextManager[Send]]


def backoff(settings: MailSettings, attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling, capped."""
    seconds = settings.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.retry_max_seconds))


def message_id(outbox_id: str, sender: str) -> str:
    """The Message-ID of every send of one outbox row."""
    domain = sender.rpartition("@")[2] or "creditbank.local"
    return f"<notice.{outbox_id}@{domain}>"


def compose(
    settings: MailSettings, outbox_id: str, to: str, notice: Any, now: datetime
) -> EmailMessage:
    """The e-mail of a notice: Chinese first, then English, in one message."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = f"{notice.subject('zh')} / {notice.subject('en')}"
    message["Message-ID"] = message_id(outbox_id, settings.sender)
    message["Date"] = format_datetime(now)
    message.set_content(
        f"{notice.body('zh')}\n\n{notice.body('en')}\n\n"
        "—— 学分银行 Credit Bank（此邮件由系统发送，请勿回复 / do not reply）\n"
    )
    return message


def _claim(engine: Engine, settings: MailSettings, now: datetime) -> Any:
    stale = now - timedelta(seconds=settings.claim_lease_seconds)
    due = or_(
        and_(outbox_t.c.status == "pending", outbox_t.c.next_attempt_at <= now),
        and_(outbox_t.c.status == "sending", outbox_t.c.claimed_at <= stale),
    )
    with read_connection(engine) as connection:
        row = connection.execute(
            select(outbox_t).where(due).order_by(outbox_t.c.next_attempt_at, outbox_t.c.id)
        ).first()
    if row is None:
        return None
    with write_transaction(engine) as connection:
        claimed = connection.execute(
            update(outbox_t)
            .where(
                outbox_t.c.id == row.id,
                outbox_t.c.status == row.status,
                outbox_t.c.attempts == row.attempts,
            )
            .values(status="sending", claimed_at=now, attempts=row.attempts + 1)
        ).rowcount
    if claimed != 1:
        return False  # another process took it first
    return row


def _finish(engine: Engine, outbox_id: str, **values: Any) -> None:
    with write_transaction(engine) as connection:
        connection.execute(update(outbox_t).where(outbox_t.c.id == outbox_id).values(**values))


def _permanent(exc: Exception) -> bool:
    """Whether the server refused for good (a 5xx answer), so retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def deliver_outbox(
    engine: Engine,
    sealer: FieldSealer,
    settings: MailSettings,
    connect: Connect,
    *,
    now: Callable[[], datetime],
    limit: int = 100,
) -> str | None:
    """Send up to ``limit`` due messages over one connection; say what happened."""
    counts = {"sent": 0, "skipped": 0, "retried": 0, "failed": 0}
    connection_stack = ExitStack()
    send: Send | None = None
    try:
        for _ in range(limit):
            moment = now()
            row = _claim(engine, settings, moment)
            if row is None:
                break
            if row is False:
                continue
            with read_connection(engine) as connection:
                recipient, to, notice = read_notice(connection, row.notice)
                address = (
                    read_email(connection, sealer, to) if recipient is Recipient.LEARNER else None
                )
            if address is None:
                _finish(engine, row.id, status="no_address", claimed_at=None)
                counts["skipped"] += 1
                continue
            try:
                if send is None:
                    send = connection_stack.enter_context(connect())
                send(compose(settings, row.id, address, notice, moment))
            except (smtplib.SMTPException, OSError) as exc:
                attempts = row.attempts + 1
                final = _permanent(exc) or attempts >= settings.max_attempts
                _finish(
                    engine,
                    row.id,
                    status="failed" if final else "pending",
                    claimed_at=None,
                    next_attempt_at=moment + backoff(settings, attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:500],
                )
                counts["failed" if final else "retried"] += 1
                if not isinstance(exc, smtplib.SMTPResponseException):
                    break  # the server is unreachable: the rest waits for the next run
                continue
            _finish(engine, row.id, status="sent", sent_at=moment, last_error=None)
            counts["sent"] += 1
    finally:
        # QUIT failing at the end changes nothing: every message was marked already.
        with suppress(smtplib.SMTPException, OSError):
            connection_stack.close()
    if not any(counts.values()):
        return None
    return (
        f"e-mailed {counts['sent']} notices, {counts['skipped']} without an address, "
        f"{counts['retried']} to retry, {counts['failed']} failed"
    )
