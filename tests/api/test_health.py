"""``/healthz`` reports the database and the checkpoint's freshness, and 503 when it cannot."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from creditbank.wiring import Services
from tests.ledger.helpers import entries


def test_healthy(client: FlaskClient, services: Services, engine_name: str) -> None:
    services.ledger.append(entries(3))
    services.ledger.publish_checkpoint()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["log"]["size"] == 3 and body["log"]["checkpoint_size"] == 3
    assert 0 <= body["log"]["checkpoint_age_seconds"] < 60


def test_unreachable_database_is_503(app: Flask, client: FlaskClient, services: Services) -> None:
    original = services.engine
    services.engine = create_engine("sqlite:////nonexistent-folder/creditbank.sqlite3")
    try:
        answer = client.get("/healthz")
    finally:
        services.engine.dispose()
        services.engine = original
    assert answer.status_code == 503 and answer.get_json()["database"] == "unreachable"
