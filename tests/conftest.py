"""Fixtures: a fresh instance (SQLite by default, PostgreSQL schema where asked) per test.

SQLite instances are copies of templates built once per session (see tests/templates.py), and
learner passwords are hashed at cheap scrypt costs (see tests/cheap_scrypt.py), except in
tests marked ``production_scrypt``.
"""

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

from creditbank.config import Settings, sqlite_url
from creditbank.storage.database import normalise_url
from creditbank.wiring import Services, initialise
from tests import templates
from tests.api.world import World, build_world
from tests.cheap_scrypt import cheap_scrypt

POSTGRES_ENV = "CREDITBANK_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_ENV} is not set: PostgreSQL tests need a server (see .ci/run)"
ORIGIN = "test.creditbank.local/log"


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


# Which template a test's instance copies: the first of these fixtures it uses, else the empty one.
SEEDS = ("base_world", "demo")


@pytest.fixture(scope="session")
def instance_templates() -> dict[str, templates.Template]:
    """Templates by name, each built the first time a test asks for it."""
    return {}


def _template(
    name: str, cache: dict[str, templates.Template], factory: pytest.TempPathFactory
) -> templates.Template:
    if name not in cache:
        fill = {"base_world": templates.world, "demo": templates.demo}.get(name, templates.empty)
        settings = make_settings(factory.mktemp(f"template-{name}") / "instance")
        cache[name] = templates.build_template(settings, fill)
    return cache[name]


@pytest.fixture
def services(
    settings: Settings,
    request: pytest.FixtureRequest,
    instance_templates: dict[str, templates.Template],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    """An initialised instance: migrated database and log, data and transcript keys.

    On SQLite it is a copy of a session template, holding the world or the demonstration
    data already when the test asks for ``base_world`` or ``demo``; on PostgreSQL each test's
    schema is migrated afresh.
    """
    if templates.can_copy(settings, make_settings(settings.instance_path)):
        name = next((seed for seed in SEEDS if seed in request.fixturenames), "empty")
        template = _template(name, instance_templates, tmp_path_factory)
        opened = templates.open_copy(template, settings)
        request.node.stash[templates.SEEDED_FROM] = name
    else:
        opened = initialise(settings)
    yield opened
    opened.close()


@pytest.fixture
def base_world(client: FlaskClient, services: Services, request: pytest.FixtureRequest) -> World:
    """The API tests' world: two institutions, every role, two signed-in learners."""
    if request.node.stash.get(templates.SEEDED_FROM, None) == "base_world":
        return templates.world_in(
            request.getfixturevalue("instance_templates")["base_world"], client, services
        )
    return build_world(client, services)


@pytest.fixture
def app(services: Services) -> Flask:
    """The application bound to the test instance."""
    return templates.bound_app(services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the application."""
    return app.test_client()
