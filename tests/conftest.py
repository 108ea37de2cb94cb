"""Fixtures: a fresh instance (SQLite by default, PostgreSQL schema where asked) per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from creditbank.app import create_app
from creditbank.config import Settings, sqlite_url
from creditbank.storage.database import normalise_url
from creditbank.wiring import EXTENSION, Services, initialise

POSTGRES_ENV = "CREDITBANK_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_ENV} is not set: PostgreSQL tests need a server (see .ci/run)"
ORIGIN = "test.creditbank.local/log"


def postgres_base_url() -> str | None:
    """The PostgreSQL server URL for tests, if one was given."""
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema of their own, dropped afterwards."""
    yield from fresh_postgres_schema()


def fresh_postgres_schema() -> Iterator[str]:
    """Create a schema of its own on the test server, yield its URL, then drop it."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(NO_POSTGRES)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_settings(instance: Path, database_url: str | None = None) -> Settings:
    """Settings for a throwaway instance."""
    return Settings(
        instance_path=instance,
        database_url=database_url or sqlite_url(instance / "creditbank.sqlite3"),
        log_origin=ORIGIN,
        checkpoint_interval_seconds=0.0,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_name(request: pytest.FixtureRequest) -> str:
    """Run a test once per database engine."""
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings on SQLite, or on PostgreSQL when the test is parametrised with ``engine_name``."""
    url = None
    if (
        "engine_name" in request.fixturenames
        and request.getfixturevalue("engine_name") == "postgres"
    ):
        url = request.getfixturevalue("postgres_url")
    return make_settings(tmp_path / "instance", url)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """An initialised instance: migrated database and a fresh log key."""
    opened = initialise(settings)
    yield opened
    opened.close()


@pytest.fixture
def app(settings: Settings, services: Services) -> Flask:
    """The application bound to the test instance."""
    application = create_app(
        {
            "instance_path": settings.instance_path,
            "database_url": settings.database_url,
            "log_origin": settings.log_origin,
            "checkpoint_interval_seconds": 0.0,
        }
    )
    application.config["TESTING"] = True
    application.extensions[EXTENSION].set(services)
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the application."""
    return app.test_client()
