"""Banks and witnesses for the witness tests: banks are full instances, reached in process."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from creditbank.app import create_app
from creditbank.wiring import EXTENSION, Services, initialise
from creditbank.witness.independent.bank_client import Answer, Bank
from creditbank.witness.independent.store import WitnessStore
from tests.conftest import make_settings
from tests.ledger.helpers import entries


class FlaskTransport:
    """The witness's transport over a Flask test client (no network)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str) -> Answer:
        """GET through the test client."""
        response = self.client.get(path)
        return Answer(response.status_code, response.mimetype, response.get_data(as_text=True))

    def post(self, path: str, body: str, content_type: str) -> Answer:
        """POST through the test client."""
        response = self.client.post(path, data=body.encode("utf-8"), content_type=content_type)
        return Answer(response.status_code, response.mimetype, response.get_data(as_text=True))


@dataclass
class BankInstance:
    """A bank: its services, application and test client."""

    services: Services
    app: Flask
    client: FlaskClient

    @property
    def bank(self) -> Bank:
        """The bank as a witness sees it."""
        return Bank(FlaskTransport(self.client))

    def grow(self, count: int, *, start: int = 0) -> None:
        """Append ``count`` entries and publish a checkpoint of them."""
        self.services.ledger.append(entries(count, start=start))
        self.services.ledger.publish_checkpoint()


def make_bank(
    instance: Path,
    witness_keys: Sequence[str] = (),
    *,
    database_url: str | None = None,
    same_key_as: BankInstance | None = None,
) -> BankInstance:
    """Initialise a bank in ``instance``; ``same_key_as`` copies another bank's log keys."""
    if same_key_as is not None:
        source = same_key_as.services.settings.keys_path
        shutil.copytree(source, instance / "keys" / "log")
        (instance / "keys").chmod(0o700)
    settings = make_settings(instance, database_url).with_overrides(
        {"witness_keys": tuple(witness_keys)}
    )
    services = initialise(settings)
    app = create_app(
        {
            "instance_path": settings.instance_path,
            "database_url": settings.database_url,
            "log_origin": settings.log_origin,
            "checkpoint_interval_seconds": 0.0,
            "witness_keys": tuple(witness_keys),
        }
    )
    app.config["TESTING"] = True
    app.extensions[EXTENSION].set(services)
    return BankInstance(services, app, app.test_client())


class Banks:
    """Banks made for one test, closed (connections released) at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.opened: list[BankInstance] = []

    def make(
        self,
        name: str,
        witness_keys: Sequence[str] = (),
        *,
        database_url: str | None = None,
        same_key_as: BankInstance | None = None,
    ) -> BankInstance:
        """Make a bank in ``root/name`` (see :func:`make_bank`)."""
        bank = make_bank(
            self.root / name, witness_keys, database_url=database_url, same_key_as=same_key_as
        )
        self.opened.append(bank)
        return bank

    def close(self) -> None:
        """Release every bank's database connections."""
        for bank in self.opened:
            bank.services.close()


def make_witness(directory: Path, name: str = "witness.example.org/w1") -> WitnessStore:
    """A fresh witness directory."""
    return WitnessStore.create(directory, name)
