"""eddsa-jcs-2022 against the W3C vc-di-eddsa test vectors, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.errors import ProofInvalid
from creditbank.transcripts import cryptosuite
from creditbank.transcripts.multikey import (
    decode_private_key,
    decode_public_key,
    encode_base58btc,
    encode_public_key,
)
from tests.shared_vectors import requires_shared, shared_dir

VECTORS = "vectors/vc-di-eddsa"


def _dir() -> Path:
    return shared_dir() / VECTORS


def _json(name: str) -> Any:
    return json.loads((_dir() / name).read_text(encoding="utf-8"))


def _text(name: str) -> str:
    return (_dir() / "eddsa-jcs-2022" / name).read_text(encoding="utf-8").strip()


def _key() -> Ed25519PrivateKey:
    pair = _json("keyPair.json")
    return Ed25519PrivateKey.from_private_bytes(decode_private_key(pair["privateKeyMultibase"]))


pytestmark = requires_shared


def test_key_pair_round_trips() -> None:
    pair = _json("keyPair.json")
    public = _key().public_key().public_bytes_raw()
    assert encode_public_key(public) == pair["publicKeyMultibase"]
    assert decode_public_key(pair["publicKeyMultibase"]) == public


def test_canonical_forms_and_hashes_match_the_vectors() -> None:
    document = _json("unsigned.json")
    config = _json("eddsa-jcs-2022/proofConfigJCS.json")
    data = cryptosuite.hash_data(document, config)
    assert data.canonical_document.decode("utf-8") == _text("canonDocJCS.txt")
    assert data.canonical_proof_config.decode("utf-8") == _text("proofCanonJCS.txt")
    assert data.document_hash.hex() == _text("docHashJCS.txt")
    assert data.proof_config_hash.hex() == _text("proofHashJCS.txt")
    assert data.combined.hex() == _text("combinedHashJCS.txt")


def test_proof_config_is_built_as_the_vector_states() -> None:
    document = _json("unsigned.json")
    expected = _json("eddsa-jcs-2022/proofConfigJCS.json")
    built = cryptosuite.proof_config(
        document, verification_method=expected["verificationMethod"], created=expected["created"]
    )
    assert built == expected


def test_signature_and_proof_value_match_the_vectors() -> None:
    document = _json("unsigned.json")
    config = _json("eddsa-jcs-2022/proofConfigJCS.json")
    proof = cryptosuite.create_proof(
        document,
        _key(),
        verification_method=config["verificationMethod"],
        created=config["created"],
    )
    signature = _key().sign(cryptosuite.hash_data(document, config).combined)
    assert signature.hex() == _text("sigHexJCS.txt")
    assert proof["proofValue"] == _text("sigBTC58JCS.txt") == encode_base58btc(signature)
    signed = _json("eddsa-jcs-2022/signedJCS.json")
    assert {**document, "proof": proof} == signed


def test_the_signed_vector_verifies_and_an_altered_one_does_not() -> None:
    signed = _json("eddsa-jcs-2022/signedJCS.json")
    public = _key().public_key()
    cryptosuite.verify_proof(signed, signed["proof"], public)
    altered = {**signed, "name": "Altered Credential"}
    with pytest.raises(ProofInvalid, match="signature does not match"):
        cryptosuite.verify_proof(altered, altered["proof"], public)
    bad_value = {**signed["proof"], "proofValue": "z" + "1" * 80}
    with pytest.raises(ProofInvalid):
        cryptosuite.verify_proof(signed, bad_value, public)
