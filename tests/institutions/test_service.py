"""Member institutions: registration, API clients and batch-signing keys, each change logged."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.clock import utc_now
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.identity.principals import BANK_ACTOR, CONSOLE_ACTOR
from creditbank.institutions.service import (
    InstitutionInfo,
    add_signing_key,
    get_institution,
    list_institutions,
    list_keys,
    parse_public_key,
    register_institution,
    revoke_signing_key,
    set_signing_requirement,
    signing_key_id,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import Services

CODE = "CQ-GZ-001"
INFO = InstitutionInfo(
    CODE, "重庆工程职业技术学院", "CQ College", "gaozhi_college", "gaozhi", "重庆"
)


def _public_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture
def registered(services: Services) -> Services:
    register_institution(services.ledger, INFO, actor=CONSOLE_ACTOR, now=utc_now())
    return services


def test_registration_is_logged_and_stored(services: Services, engine_name: str) -> None:
    before = services.ledger.head().size
    registered = register_institution(services.ledger, INFO, actor=CONSOLE_ACTOR, now=utc_now())
    assert (registered.info, registered.ledger_index) == (INFO, before)
    assert services.ledger.head().size == before + 1
    with read_connection(services.engine) as connection:
        assert get_institution(connection, CODE).info == INFO
        assert [found.info.code for found in list_institutions(connection)] == [CODE]
    with pytest.raises(Conflict, match="already registered"):
        register_institution(services.ledger, INFO, actor=CONSOLE_ACTOR, now=utc_now())
    assert services.ledger.head().size == before + 1


def test_an_unknown_institution_is_not_found(services: Services) -> None:
    with read_connection(services.engine) as connection, pytest.raises(NotFound):
        get_institution(connection, "XX-000")


def test_signing_keys_and_the_signed_batches_requirement(
    registered: Services, engine_name: str
) -> None:
    ledger, now = registered.ledger, utc_now()
    with pytest.raises(Conflict, match="no active signing key"):
        set_signing_requirement(ledger, CODE, True, actor=BANK_ACTOR, now=now)
    first, second = _public_key(), _public_key()
    key = add_signing_key(ledger, CODE, first, actor=BANK_ACTOR, now=now)
    assert key.key_id == signing_key_id(first) and len(key.key_id) == 16
    with pytest.raises(Conflict, match="already registered"):
        add_signing_key(ledger, CODE, first, actor=BANK_ACTOR, now=now)
    required = set_signing_requirement(ledger, CODE, True, actor=BANK_ACTOR, now=now)
    assert required.info == replace(INFO, require_signed_batches=True)
    with pytest.raises(Conflict, match="last active key"):
        revoke_signing_key(ledger, CODE, key.key_id, actor=BANK_ACTOR, now=now)
    later = now + timedelta(seconds=1)  # keys are listed by when they were added
    other = add_signing_key(ledger, CODE, second, actor=BANK_ACTOR, now=later)
    revoked = revoke_signing_key(ledger, CODE, key.key_id, actor=BANK_ACTOR, now=now)
    assert revoked.revoked_at is not None
    with pytest.raises(NotFound):
        revoke_signing_key(ledger, "SC-GZ-001", other.key_id, actor=BANK_ACTOR, now=now)
    with read_connection(registered.engine) as connection:
        listed = list_keys(connection, CODE)
    assert [(k.key_id, k.revoked_at is None) for k in listed] == [
        (key.key_id, False),
        (other.key_id, True),
    ]


def test_public_keys_are_32_raw_bytes_in_base64() -> None:
    raw = _public_key()
    assert parse_public_key(base64.b64encode(raw).decode()) == raw
    for bad in ("not base64!", base64.b64encode(raw[:31]).decode(), "公钥"):
        with pytest.raises(InvalidInput) as refused:
            parse_public_key(bad)
        assert refused.value.problems[0].field == "public_key"
