"""The service's long-lived parts (engine, keyring, ledger), opened once per process."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine

from creditbank.config import Settings
from creditbank.errors import SigningKeyError
from creditbank.identity.sealing import FieldSealer, KeyEncryptionKeys
from creditbank.ledger.keys import Keyring
from creditbank.ledger.service import Ledger
from creditbank.rules.loader import load_policies
from creditbank.rules.policy import Policy
from creditbank.storage.database import create_db_engine
from creditbank.storage.migrate import upgrade
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.keys import IssuerKeys


@dataclass
class Services:
    """What request handlers and commands work with."""

    settings: Settings
    engine: Engine
    ledger: Ledger
    sealer: FieldSealer
    policies: Mapping[str, Policy]
    issuer_keys: IssuerKeys

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def issuer_identity(self) -> IssuerIdentity:
        """The transcript issuer, as its keys and the settings name it."""
        return IssuerIdentity(self.issuer_keys, self.settings.public_url, self.settings.issuer_did)


def open_services(settings: Settings, engine: Engine | None = None) -> Services:
    """Open the database and the keyring of an initialised instance."""
    if not (settings.keys_path / "keyring.json").exists():
        raise SigningKeyError(
            f"no log signing keys in {settings.keys_path}: run 'creditbank init' first"
        )
    keyring = Keyring.open(settings.keys_path, settings.key_passphrase)
    engine = engine or create_db_engine(settings.database_url)
    ledger = Ledger(
        engine,
        keyring,
        origin=settings.log_origin,
        checkpoint_interval_seconds=settings.checkpoint_interval_seconds,
        page_size=settings.entries_page_size,
    )
    keks = KeyEncryptionKeys.open(settings.kek_path, settings.key_passphrase)
    policies = load_policies(settings.policies_path) if settings.policies_path.is_dir() else {}
    return Services(
        settings=settings,
        engine=engine,
        ledger=ledger,
        sealer=FieldSealer(keks),
        policies=policies,
        issuer_keys=IssuerKeys.open_or_create(
            settings.transcript_keys_path, settings.key_passphrase
        ),
    )


def initialise(settings: Settings) -> Services:
    """Create the instance folder, migrate the schema and generate the log key on first run."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    if not (settings.keys_path / "keyring.json").exists():
        Keyring.create(settings.keys_path, settings.log_origin, settings.key_passphrase)
    if not settings.kek_path.exists():
        KeyEncryptionKeys.create(settings.kek_path, settings.key_passphrase)
    return open_services(settings, engine)


class LazyServices:
    """Opens :class:`Services` on first use, so commands like ``init`` run before keys exist."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Services | None = None
        self._lock = threading.Lock()

    def get(self) -> Services:
        """Return the opened services, opening them the first time."""
        with self._lock:
            if self._services is None:
                self._services = open_services(self.settings)
            return self._services

    def set(self, services: Services) -> None:
        """Use already opened services (after ``initialise``)."""
        with self._lock:
            self._services = services


EXTENSION = "creditbank"  # the key of the application's LazyServices in ``app.extensions``


def lazy_services() -> LazyServices:
    """Return the current Flask application's (possibly unopened) services."""
    lazy: LazyServices = current_app.extensions[EXTENSION]
    return lazy


def services() -> Services:
    """Return the services of the current Flask application, opening them on first use."""
    return lazy_services().get()
