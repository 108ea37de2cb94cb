"""The outbox job against a real SMTP server (aiosmtpd): sent once, kept while it is down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.learners.contact import set_email
from creditbank.notices.service import outbox_t
from creditbank.operations import outbox
from creditbank.operations.mail import MailSettings, smtp_connection
from creditbank.storage.database import read_connection, write_transaction
from creditbank.transcripts.issued import revoke_transcript
from creditbank.wiring import Services
from tests.transcripts.helpers import Bank, issue, populate


@dataclass
class Inbox:
    """What the test mail server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class MailServer:
    """A local SMTP server that can be stopped and started on one port."""

    inbox: Inbox
    port: int
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer(Inbox(), _free_port())
    server.start()
    yield server
    server.stop()


def _settings(server: MailServer) -> MailSettings:
    return MailSettings(
        host="127.0.0.1",
        port=server.port,
        sender="notices@creditbank.cq.edu.cn",
        starttls=False,
        timeout_seconds=5,
    )


def _deliver(services: Services, settings: MailSettings, at: datetime) -> str | None:
    return outbox.deliver_outbox(
        services.engine,
        services.sealer,
        settings,
        lambda: smtp_connection(settings),
        now=lambda: at,
    )


def _revoked_transcript(services: Services, *, email: str | None) -> tuple[Bank, str]:
    bank = populate(services)
    if email is not None:
        with write_transaction(services.engine) as connection:
            set_email(connection, services.sealer, bank.li, email)
    shown = issue(bank)
    revoke_transcript(
        services.ledger,
        services.issuer_identity(),
        shown.id,
        bank.li,
        reason="shared with the wrong employer",
        now=utc_now(),
    )
    return bank, shown.id


def _rows(services: Services) -> list[Any]:
    with read_connection(services.engine) as connection:
        return list(connection.execute(select(outbox_t)).all())


def test_a_revocation_is_e_mailed_once_with_its_reason(
    services: Services, engine_name: str, mail_server: MailServer
) -> None:
    _, transcript = _revoked_transcript(services, email="li.ming@example.cn")
    settings = _settings(mail_server)
    later = utc_now() + timedelta(seconds=1)
    assert _deliver(services, settings, later) == (
        "e-mailed 1 notices, 0 without an address, 0 to retry, 0 failed"
    )
    [message] = mail_server.inbox.messages
    assert message["To"] == "li.ming@example.cn"
    assert message["From"] == "notices@creditbank.cq.edu.cn"
    assert "成绩单已撤销" in message["Subject"] and "revoked" in message["Subject"]
    body = message.get_content()
    assert transcript in body and "shared with the wrong employer" in body
    assert _deliver(services, settings, later + timedelta(hours=1)) is None  # nothing twice
    assert len(mail_server.inbox.messages) == 1
    [row] = _rows(services)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


def test_a_mail_server_down_keeps_the_message_until_it_is_back(
    services: Services, engine_name: str, mail_server: MailServer
) -> None:
    _revoked_transcript(services, email="li.ming@example.cn")
    settings = _settings(mail_server)
    mail_server.stop()
    t0 = utc_now()
    assert _deliver(services, settings, t0) == (
        "e-mailed 0 notices, 0 without an address, 1 to retry, 0 failed"
    )
    [row] = _rows(services)
    assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
    first_wait = outbox.backoff(settings, 1)
    assert row.next_attempt_at >= t0 + first_wait - timedelta(seconds=1)
    assert _deliver(services, settings, t0 + first_wait / 2) is None  # backing off: not due
    assert _deliver(services, settings, t0 + first_wait) is not None  # due, still down
    [row] = _rows(services)
    assert row.attempts == 2 and row.next_attempt_at >= t0 + first_wait + 2 * first_wait
    mail_server.start()
    assert _deliver(services, settings, t0 + timedelta(hours=1)) == (
        "e-mailed 1 notices, 0 without an address, 0 to retry, 0 failed"
    )
    assert len(mail_server.inbox.messages) == 1
    assert [r.status for r in _rows(services)] == ["sent"]


def test_a_crash_between_send_and_mark_sends_again_as_the_same_message(
    services: Services,
    engine_name: str,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _revoked_transcript(services, email="li.ming@example.cn")
    settings = _settings(mail_server)
    finish = outbox._finish

    def crash_when_marking_sent(engine: Any, outbox_id: str, **values: Any) -> None:
        if values.get("status") == "sent":
            raise SystemExit("the process died after the server accepted the message")
        finish(engine, outbox_id, **values)

    monkeypatch.setattr(outbox, "_finish", crash_when_marking_sent)
    t0 = utc_now()
    with pytest.raises(SystemExit):
        _deliver(services, settings, t0)
    monkeypatch.undo()
    assert len(mail_server.inbox.messages) == 1
    [row] = _rows(services)
    assert row.status == "sending"
    # While the claim's lease runs, no other run sends it: no duplicate from a slow sender.
    assert _deliver(services, settings, t0 + timedelta(minutes=5)) is None
    assert len(mail_server.inbox.messages) == 1
    # The lease ran out: at least once means it is sent again, as the same message.
    assert _deliver(services, settings, t0 + timedelta(minutes=11)) is not None
    first, again = mail_server.inbox.messages
    assert first["Message-ID"] == again["Message-ID"] == outbox.message_id(row.id, settings.sender)
    assert len({m["Message-ID"] for m in mail_server.inbox.messages}) == 1
    assert [r.status for r in _rows(services)] == ["sent"]
    assert _deliver(services, settings, t0 + timedelta(hours=2)) is None


def test_no_address_means_no_e_mail_and_a_refused_one_is_not_retried(
    services: Services, engine_name: str, mail_server: MailServer
) -> None:
    _revoked_transcript(services, email=None)
    settings = _settings(mail_server)
    t0 = utc_now()
    assert _deliver(services, settings, t0) == (
        "e-mailed 0 notices, 1 without an address, 0 to retry, 0 failed"
    )
    assert mail_server.inbox.messages == []
    assert [r.status for r in _rows(services)] == ["no_address"]


def test_a_permanently_refused_address_fails_without_retries(
    services: Services, engine_name: str, mail_server: MailServer
) -> None:
    mail_server.inbox.refuse.add("gone@example.cn")
    _revoked_transcript(services, email="gone@example.cn")
    settings = _settings(mail_server)
    assert _deliver(services, settings, utc_now()) == (
        "e-mailed 0 notices, 0 without an address, 0 to retry, 1 failed"
    )
    [row] = _rows(services)
    assert row.status == "failed" and "550" in row.last_error
