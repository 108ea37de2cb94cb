"""The verifier's trust list: reading it, what it pins, and the bank's own."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.errors import InvalidInput, UntrustedIssuer
from creditbank.ledger.note import NoteSigner
from creditbank.transcripts.did import did_document, did_key
from creditbank.transcripts.issuer import trust_list
from creditbank.transcripts.keys import IssuerKey
from creditbank.transcripts.trust_list import read_trust_list, trust_list_document
from creditbank.wiring import Services

BANK = "did:web:creditbank.cq.edu.cn"
LOG_KEY = NoteSigner.generate("creditbank.cq.edu.cn/log").verifier.verifier_key()


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sample_keys() -> list[IssuerKey]:
    """Two keys: a retired one and the current one."""
    first = IssuerKey(
        _public(Ed25519PrivateKey.generate()),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    second = IssuerKey(
        _public(Ed25519PrivateKey.generate()), datetime(2026, 1, 1, tzinfo=UTC), None
    )
    return [first, second]


def bank_list(keys: list[IssuerKey] | None = None) -> dict[str, Any]:
    return trust_list_document(
        did_document(BANK, keys or sample_keys()), "成渝地区学分银行", [LOG_KEY]
    )


def test_the_list_pins_the_issuers_keys_and_log_keys() -> None:
    keys = sample_keys()
    read = read_trust_list(json.loads(json.dumps(bank_list(keys))))
    issuer = read.issuer(BANK)
    assert issuer.log_keys == (LOG_KEY,)
    assert [v.verifier_key() for v in read.log_verifiers()] == [LOG_KEY]
    pinned = read.pinned_keys()
    assert set(pinned) == {f"{BANK}#{key.multibase}" for key in keys}
    retired = pinned[f"{BANK}#{keys[0].multibase}"].key
    assert retired.retired_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert all(known.controller == BANK for known in pinned.values())
    assert read.trusted_log_key(LOG_KEY) and not read.trusted_log_key(LOG_KEY + "x")
    unknown = re.escape("did:web:evil.example is not on the trust list")
    with pytest.raises(UntrustedIssuer, match=unknown):
        read.issuer("did:web:evil.example")


def test_a_did_key_issuer_needs_no_pinned_method() -> None:
    public = _public(Ed25519PrivateKey.generate())
    did = did_key(public)
    read = read_trust_list(
        {
            "type": "CreditbankTrustList",
            "version": 1,
            "issuers": [{"id": did, "logVerifierKey": [LOG_KEY]}],
        }
    )
    (method,) = read.pinned_keys().values()
    assert method.method_id == f"{did}#{did.removeprefix('did:key:')}"
    assert method.key.public_key == public


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(bank_list())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(type="DIDDocument"), "not a CreditbankTrustList"),
        (lambda d: d.update(version=2), "version 2"),
        (lambda d: d.update(issuers=[]), "names no issuers"),
        (lambda d: d["issuers"].append(d["issuers"][0]), "twice"),
        (lambda d: d["issuers"][0].update(id="https://evil.example"), "did:web or did:key"),
        (lambda d: d["issuers"][0].update(id="did:web:evil.example/x"), "'/'"),
        (lambda d: d["issuers"][0].update(logVerifierKey=[]), "logVerifierKey"),
        (lambda d: d["issuers"][0].update(logVerifierKey=["nonsense"]), "log key 'nonsense'"),
        (
            lambda d: d["issuers"][0]["verificationMethod"][0].update(
                controller="did:web:evil.example"
            ),
            "controller",
        ),
    ],
)
def test_a_broken_list_is_refused_naming_the_fault(change: Any, named: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_trust_list(_broken(change))
    assert named in raised.value.detail


def test_the_banks_published_list_is_its_did_log_keys_and_signing_keys(
    services: Services,
) -> None:
    document = trust_list(services.issuer_identity(), services.ledger.keyring.verifiers())
    read = read_trust_list(document)
    (issuer,) = read.issuers.values()
    assert issuer.did == services.issuer_identity().current().did
    assert list(issuer.log_keys) == [
        verifier.verifier_key() for verifier in services.ledger.keyring.verifiers()
    ]
    assert set(issuer.pinned) == set(services.issuer_identity().trusted_keys())
