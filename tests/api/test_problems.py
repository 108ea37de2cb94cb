"""Errors become problem documents; a database that is down is a 503 to retry, not a 500."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import Flask

from creditbank.storage.database import create_db_engine
from creditbank.wiring import EXTENSION, Services


def test_an_unreachable_database_answers_503_with_retry_after(
    app: Flask, services: Services, tmp_path: Path
) -> None:
    gone = create_db_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}")
    ledger = services.ledger
    ledger_down = type(ledger)(gone, ledger.keyring, origin=ledger.origin)
    app.extensions[EXTENSION].set(replace(services, engine=gone, ledger=ledger_down))
    response = app.test_client().get("/api/v1/log/checkpoint")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:creditbank:problem:database-unavailable"
    app.extensions[EXTENSION].set(services)
    assert app.test_client().get("/api/v1/log/checkpoint").status_code == 200
