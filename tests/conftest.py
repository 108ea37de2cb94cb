"""Fixtures: a fresh instance (SQLite by default, PostgreSQL schema where asked) per test.

Set-up used to cost several times the tests themselves, so two things are shared, never state:
a SQLite instance is a copy of one migrated per session (database file and key folders), and
learner passwords are hashed with cheap scrypt costs (see :func:`cheap_scrypt`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from creditbank.app import create_app
from creditbank.config import Settings, sqlite_url
from creditbank.identity import passwords
from creditbank.services import EXTENSION, Services, initialise, open_services
from creditbank.storage.database import normalise_url

POSTGRES_ENV = "CREDITBANK_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_ENV} is not set: PostgreSQL tests need a server (see .ci/run)"
ORIGIN = "test.creditbank.local/log"
DATABASE_FILE = "creditbank.sqlite3"
# Learner passwords in tests: the lowest costs ScryptParameters accepts. Production costs are
# kept where the hashing itself is tested (mark ``production_scrypt``).
CHEAP_SCRYPT = passwords.ScryptParameters(n=2**4, r=1, p=1)


@contextmanager
def cheap_scrypt() -> Iterator[None]:
    """Hash and check learner passwords with :data:`CHEAP_SCRYPT` while inside.

    ``hash_password`` binds its default costs when defined, so its keyword default is patched
    too; a stored hash carries its own costs, so verifying is unaffected by the patch.
    """
    defaults = passwords.hash_password.__kwdefaults__
    assert defaults is not None and "params" in defaults, "hash_password lost its params default"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(defaults, "params", CHEAP_SCRYPT)
        patch.setattr(passwords, "DEFAULT", CHEAP_SCRYPT)  # the no-account check's costs
        yield


@pytest.fixture(autouse=True)
def _cheap_scrypt(request: pytest.FixtureRequest) -> Iterator[None]:
    """Cheap password hashing for every test but those marked ``production_scrypt``."""
    if request.node.get_closest_marker("production_scrypt") is not None:
        yield
        return
    with cheap_scrypt():
        yield


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
        database_url=database_url or sqlite_url(instance / DATABASE_FILE),
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised SQLite instance per session (per xdist worker), copied by each test."""
    instance = tmp_path_factory.mktemp("template") / "instance"
    initialise(make_settings(instance)).close()
    return instance


def copies_template(settings: Settings) -> bool:
    """Whether a copy of :func:`sqlite_template` is what ``initialise(settings)`` would make.

    The template depends on the database, the log origin (its keyring's name) and the
    passphrase only; a test that changes any of these, or prepared its folder, initialises.
    """
    default = make_settings(settings.instance_path)
    return (
        settings.database_url == default.database_url
        and settings.log_origin == default.log_origin
        and settings.key_passphrase is None
        and not settings.instance_path.exists()
    )


@pytest.fixture
def services(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Services]:
    """An initialised instance: migrated database and log, data and transcript keys.

    On SQLite it is a copy of the session's template (so tests share key material but never
    data); on PostgreSQL each test's schema is migrated afresh, which keeps its triggers,
    functions, sequences and foreign keys exactly as the migrations make them.
    """
    if copies_template(settings):
        shutil.copytree(request.getfixturevalue("sqlite_template"), settings.instance_path)
        opened = open_services(settings)
    else:
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
