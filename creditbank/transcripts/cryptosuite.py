"""The ``eddsa-jcs-2022`` Data Integrity cryptosuite (W3C vc-di-eddsa §3.3).

Signing: the proof configuration (the proof without ``proofValue``, carrying the document's
``@context``) and the document without its ``proof`` are each canonicalised with RFC 8785 and
hashed with SHA-256; the Ed25519 signature of ``hash(proof config) ‖ hash(document)`` is the
``proofValue`` (multibase base58btc). Verification recomputes the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from creditbank.canonical import canonical_json
from creditbank.errors import InvalidInput, ProofInvalid
from creditbank.transcripts.multikey import decode_base58btc, encode_base58btc

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION = "assertionMethod"


def format_datetime(moment: datetime) -> str:
    """An ``xsd:dateTime`` in UTC to the second, e.g. ``2026-12-02T08:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: Any) -> datetime:
    """Parse an ``xsd:dateTime`` with a time zone; InvalidInput otherwise."""
    if not isinstance(text, str):
        raise InvalidInput(f"{text!r} is not a date-time string")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not an xsd:dateTime") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{text!r} has no time zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class HashData:
    """The intermediate values of the algorithm (kept for the test vectors)."""

    canonical_proof_config: bytes
    canonical_document: bytes
    proof_config_hash: bytes
    document_hash: bytes

    @property
    def combined(self) -> bytes:
        """``hash(proof config) ‖ hash(document)``: the bytes that are signed."""
        return self.proof_config_hash + self.document_hash


def unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document without its ``proof``."""
    return {key: value for key, value in document.items() if key != "proof"}


def proof_config(
    document: Mapping[str, Any],
    *,
    verification_method: str,
    created: datetime | str,
    proof_purpose: str = ASSERTION,
) -> dict[str, Any]:
    """The proof options for ``document``: the proof without ``proofValue``."""
    config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created if isinstance(created, str) else format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def hash_data(
    document: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    canonical_document: bytes | None = None,
) -> HashData:
    """Canonicalise and hash the proof configuration and the unsecured document.

    ``canonical_document`` lets a caller pass bytes it already computed for the same document.
    """
    canon_config = canonical_json(dict(config))
    canon_document = (
        canonical_document
        if canonical_document is not None
        else canonical_json(unsecured(document))
    )
    return HashData(
        canon_config,
        canon_document,
        hashlib.sha256(canon_config).digest(),
        hashlib.sha256(canon_document).digest(),
    )


def create_proof(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime | str,
    proof_purpose: str = ASSERTION,
) -> dict[str, Any]:
    """Return the ``DataIntegrityProof`` of ``document`` (which must not hold a proof yet)."""
    config = proof_config(
        document,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
    )
    signature = private_key.sign(hash_data(document, config).combined)
    return {**config, "proofValue": encode_base58btc(signature)}


def sign_document(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime | str,
    as_array: bool = True,
) -> dict[str, Any]:
    """Return ``document`` with its proof (a one-element array when ``as_array``)."""
    proof = create_proof(
        document, private_key, verification_method=verification_method, created=created
    )
    return {**dict(document), "proof": [proof] if as_array else proof}


def single_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document's one proof (object or one-element array); ProofInvalid otherwise."""
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofInvalid(f"expected one proof, found {len(proof)}")
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofInvalid("the document carries no proof object")
    return proof


def check_proof_shape(document: Mapping[str, Any], proof: Mapping[str, Any]) -> None:
    """Refuse a proof that is not an eddsa-jcs-2022 assertion proof matching the document."""
    if proof.get("type") != PROOF_TYPE:
        raise ProofInvalid(f"proof type {proof.get('type')!r} is not {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofInvalid(f"cryptosuite {proof.get('cryptosuite')!r} is not {CRYPTOSUITE}")
    if proof.get("proofPurpose") != ASSERTION:
        raise ProofInvalid(f"proof purpose {proof.get('proofPurpose')!r} is not {ASSERTION}")
    if not isinstance(proof.get("verificationMethod"), str):
        raise ProofInvalid("the proof names no verificationMethod")
    if "@context" in proof:
        # vc-di-eddsa §3.3.2: the document's contexts must start with the proof's.
        proof_context = proof["@context"]
        document_context = document.get("@context")
        if not isinstance(proof_context, list) or not isinstance(document_context, list):
            raise ProofInvalid("the proof's @context and the document's must be lists")
        if document_context[: len(proof_context)] != proof_context:
            raise ProofInvalid("the document's @context does not start with the proof's")


SIGNATURE_MISMATCH = "the signature does not match the document"


def signed_input(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    canonical_document: bytes | None = None,
    document_hash: bytes | None = None,
    created_checked: bool = False,
) -> tuple[bytes, bytes]:
    """The signature ``proof`` carries and the bytes it must sign; ProofInvalid says why not.

    Every check of :func:`verify_proof` but the signature's own. ``canonical_document`` or its
    SHA-256 ``document_hash`` is the document's canonical form without its proof when the
    caller has it; ``created_checked`` says the caller has already parsed ``created``.
    """
    check_proof_shape(document, proof)
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    try:
        signature = decode_base58btc(proof.get("proofValue"))  # type: ignore[arg-type]
    except InvalidInput as exc:
        raise ProofInvalid(f"proofValue: {exc.detail}") from None
    if not created_checked:
        try:
            parse_datetime(proof.get("created"))
        except InvalidInput as exc:
            raise ProofInvalid(f"created: {exc.detail}") from None
    try:
        canon_config = canonical_json(config)
        if document_hash is None:
            canon_document = (
                canonical_document
                if canonical_document is not None
                else canonical_json(unsecured(document))
            )
            document_hash = hashlib.sha256(canon_document).digest()
    except (TypeError, ValueError) as exc:
        raise ProofInvalid(f"the document cannot be canonicalised: {exc}") from None
    return signature, hashlib.sha256(canon_config).digest() + document_hash


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    canonical_document: bytes | None = None,
) -> None:
    """Check ``proof`` over ``document`` with ``public_key``; ProofInvalid says why not."""
    signature, message = signed_input(document, proof, canonical_document=canonical_document)
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        raise ProofInvalid(SIGNATURE_MISMATCH) from None
