"""Sending e-mail over SMTP (smtplib): the settings, and one connection per run of the job."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from creditbank.errors import InvalidInput
from creditbank.operations.settings import env_number


@dataclass(frozen=True)
class MailSettings:
    """Where notices are e-mailed from; no host means e-mail is off (notices stay queued)."""

    host: str = ""
    port: int = 587
    sender: str = "creditbank@localhost"
    starttls: bool = True
    username: str = ""
    password: str = ""
    timeout_seconds: float = 10.0
    # Seconds between runs of the sending job, and the retry schedule of one message.
    outbox_seconds: float = 30.0
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 6 * 3600.0
    max_attempts: int = 12
    # A message claimed this long ago and never marked was interrupted: it is sent again.
    claim_lease_seconds: float = 600.0

    @property
    def enabled(self) -> bool:
        """Whether a mail server is configured."""
        return bool(self.host)


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    raise InvalidInput(f"environment variable {name} must be on or off, got {raw!r}")


def mail_from_env(environ: Mapping[str, str]) -> MailSettings:
    """Read ``CREDITBANK_SMTP_*`` variables."""
    d = MailSettings()
    return MailSettings(
        host=environ.get("CREDITBANK_SMTP_HOST", "").strip(),
        port=int(env_number(environ, "CREDITBANK_SMTP_PORT", d.port)),
        sender=environ.get("CREDITBANK_SMTP_FROM", "").strip() or d.sender,
        starttls=_flag(environ, "CREDITBANK_SMTP_STARTTLS", d.starttls),
        username=environ.get("CREDITBANK_SMTP_USERNAME", ""),
        password=environ.get("CREDITBANK_SMTP_PASSWORD", ""),
        timeout_seconds=env_number(environ, "CREDITBANK_SMTP_TIMEOUT", d.timeout_seconds),
        outbox_seconds=env_number(environ, "CREDITBANK_OUTBOX_SECONDS", d.outbox_seconds),
        max_attempts=int(env_number(environ, "CREDITBANK_OUTBOX_ATTEMPTS", d.max_attempts)),
    )


class Send(Protocol):
    """Hands one message to the mail server; raises when it was not accepted."""

    def __call__(self, message: EmailMessage) -> None:
        """Send ``message``."""


@contextmanager
def smtp_connection(settings: MailSettings) -> Iterator[Send]:
    """One SMTP connection (STARTTLS and login as configured) for the messages of a run."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)

        def send(message: EmailMessage) -> None:
            smtp.send_message(message)

        yield send
