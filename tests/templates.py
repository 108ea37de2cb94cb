"""Instances built once per session (per xdist worker) and copied into each test's folder.

Migrating a database and building a bank over HTTP cost several times the tests themselves;
copying a SQLite file and three key folders costs a millisecond. Tests share key material
this way, never data: each works on its own copy. PostgreSQL instances are not copied (a
faithful copy of a schema would need its triggers, function, sequences and foreign keys
re-made by hand): each test's schema is migrated afresh.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditbank.app import create_app
from creditbank.config import Settings
from creditbank.demo import load_demo
from creditbank.wiring import EXTENSION, Services, initialise, open_services
from tests.api.world import World, build_world
from tests.cheap_scrypt import cheap_scrypt

# The name of the template a test's instance was copied from (absent: it was initialised).
SEEDED_FROM = pytest.StashKey[str]()


@dataclass(frozen=True)
class Template:
    """An instance folder to copy, and the world its builder made in it (if any)."""

    instance: Path
    world: World | None = None


def bound_app(services: Services) -> Flask:
    """A testing application bound to already opened ``services``."""
    settings = services.settings
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


def build_template(settings: Settings, fill: Callable[[Services], World | None]) -> Template:
    """Initialise ``settings``' instance, let ``fill`` populate it, and close it."""
    with cheap_scrypt():
        services = initialise(settings)
        try:
            return Template(settings.instance_path, fill(services))
        finally:
            services.close()


def empty(services: Services) -> None:
    """Add nothing: the migrated instance with its keys."""


def world(services: Services) -> World:
    """The API tests' world (see :func:`tests.api.world.build_world`)."""
    return build_world(bound_app(services).test_client(), services)


def demo(services: Services) -> None:
    """The demonstration bank, as of when the session started."""
    load_demo(services, now=datetime.now(UTC))


def can_copy(settings: Settings, default: Settings) -> bool:
    """Whether a copy of a template is what ``initialise(settings)`` would make.

    A template depends on the database URL, the log origin (its keyring's name) and the
    passphrase; a test that changes any of these, or prepared its folder, initialises.
    """
    return (
        settings.database_url == default.database_url
        and settings.log_origin == default.log_origin
        and settings.key_passphrase is None
        and not settings.instance_path.exists()
    )


def open_copy(template: Template, settings: Settings) -> Services:
    """Copy ``template`` into ``settings``' instance folder and open it."""
    shutil.copytree(template.instance, settings.instance_path)
    return open_services(settings)


def world_in(template: Template, client: FlaskClient, services: Services) -> World:
    """The template's world, bound to a test's own copy (its dictionaries copied too)."""
    assert template.world is not None, "this template has no world"
    built = template.world
    return replace(
        built,
        client=client,
        services=services,
        keys=dict(built.keys),
        learners=dict(built.learners),
        tokens=dict(built.tokens),
        documents=dict(built.documents),
    )
