"""Online verification only reads: no write transaction, so it never waits for the log's writers."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from creditbank.clock import utc_now
from creditbank.transcripts.issued import revoke_transcript
from creditbank.wiring import Services
from tests.transcripts.helpers import Bank, issue, populate, verify

# What a write transaction sends: SQLite's BEGIN IMMEDIATE, a row lock, or a change.
WRITES = re.compile(r"^\s*(BEGIN IMMEDIATE|INSERT|UPDATE|DELETE)|\bFOR UPDATE\b", re.IGNORECASE)


@pytest.fixture
def bank(services: Services) -> Bank:
    return populate(services)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(str(args[2]))

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(services.engine, "before_cursor_execute", record)


def test_verification_sends_no_write_statement(bank: Bank, engine_name: str) -> None:
    kept = issue(bank)
    revoked = issue(bank, records=bank.li_records[:1])
    revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        revoked.id,
        bank.li,
        reason="test",
        now=utc_now(),
    )
    issue(bank, records=bank.li_records[1:2])  # the log grew since the first was issued
    with statements(bank.services) as sent:
        assert verify(bank.services, kept.credential).valid
        assert verify(bank.services, revoked.credential).failed == ("status",)
    assert sent, "verification read nothing"
    assert [text for text in sent if WRITES.search(text)] == []


def _sqlite_path(services: Services) -> str:
    url = services.settings.database_url
    assert url.startswith("sqlite:///")
    return url.removeprefix("sqlite:///")


def test_verification_answers_while_a_writer_holds_the_lock(
    bank: Bank, client: FlaskClient
) -> None:
    kept = issue(bank)
    revoked = issue(bank, records=bank.li_records[:1])
    revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        revoked.id,
        bank.li,
        reason="test",
        now=utc_now(),
    )
    status_path = (
        "/api/v1/status-lists/"
        + kept.credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    )
    answers: dict[str, Any] = {}

    def verify_all() -> None:
        answers["kept"] = client.post("/api/v1/verify", json=kept.credential).get_json()
        answers["revoked"] = client.post("/api/v1/verify", json=revoked.credential).get_json()
        answers["code"] = client.get(f"/api/v1/verify/{kept.code}").get_json()
        answers["page"] = client.get(f"/verify/{kept.code}").status_code
        answers["list"] = client.get(status_path).status_code

    # Another connection holds SQLite's write lock, as a posting batch does.
    writer = sqlite3.connect(_sqlite_path(bank.services), timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        worker = threading.Thread(target=verify_all)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "verification waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        worker.join()
    assert answers["kept"]["valid"], answers["kept"]
    assert [c["name"] for c in answers["revoked"]["checks"] if c["outcome"] == "failed"] == [
        "status"
    ]
    assert answers["code"]["valid"]
    assert answers["page"] == 200
    assert answers["list"] == 200
