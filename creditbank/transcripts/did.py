"""The issuer's DID: ``did:web`` (document at ``/.well-known/did.json``) or ``did:key``.

A verification method is named ``<did>#<publicKeyMultibase>`` for both methods, so a
transcript names its key the same way whichever the deployment uses. The document lists every
key ever used; a retired key carries ``retiredAt`` (the project's context) and verifies only
proofs made before then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from creditbank.errors import InvalidInput
from creditbank.transcripts.contexts import CREDITBANK_CONTEXT
from creditbank.transcripts.cryptosuite import format_datetime, parse_datetime
from creditbank.transcripts.keys import IssuerKey
from creditbank.transcripts.multikey import decode_public_key, encode_public_key

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DID_KEY = "did:key"


def did_web(public_url: str) -> str:
    """The ``did:web`` of a service reachable at ``public_url`` (host, port and path)."""
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput(f"a did:web needs an https URL, got {public_url!r}")
    host = parts.hostname + (quote(f":{parts.port}") if parts.port else "")
    path = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *path])


def did_key(public_key: bytes) -> str:
    """The ``did:key`` of a raw Ed25519 public key."""
    return f"{DID_KEY}:{encode_public_key(public_key)}"


def issuer_did(configured: str, current_public_key: bytes) -> str:
    """The issuer DID: the configured ``did:web``, or the current key's ``did:key``."""
    return did_key(current_public_key) if configured == DID_KEY else configured


def method_id(controller: str, key: IssuerKey) -> str:
    """The verification method id of ``key`` under ``controller``."""
    if controller.startswith(f"{DID_KEY}:"):
        controller = did_key(key.public_key)
    return f"{controller}#{key.multibase}"


def did_document(controller: str, keys: Sequence[IssuerKey]) -> dict[str, Any]:
    """The DID document listing every key (newest first) as a Multikey."""
    methods = []
    for key in reversed(keys):
        method: dict[str, Any] = {
            "id": method_id(controller, key),
            "type": "Multikey",
            "controller": method_id(controller, key).split("#", 1)[0],
            "publicKeyMultibase": key.multibase,
            "createdAt": format_datetime(key.created_at),
        }
        if key.retired_at is not None:
            method["retiredAt"] = format_datetime(key.retired_at)
        methods.append(method)
    ids = [method["id"] for method in methods]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT, CREDITBANK_CONTEXT],
        "id": controller,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }


@dataclass(frozen=True)
class KnownKey:
    """A verification method a verifier trusts, with its validity."""

    method_id: str
    controller: str
    key: IssuerKey


def _time(method: Mapping[str, Any], name: str) -> datetime | None:
    value = method.get(name)
    return None if value is None else parse_datetime(value)


def keys_from_document(document: Mapping[str, Any]) -> dict[str, KnownKey]:
    """Read the trusted verification methods of a DID document (as served by the bank)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("id"), str):
        raise InvalidInput("the keys file is not a DID document (it has no id)")
    methods = document.get("verificationMethod")
    assertion = document.get("assertionMethod")
    if not isinstance(methods, list) or not isinstance(assertion, list):
        raise InvalidInput("the DID document lists no verificationMethod or assertionMethod")
    known: dict[str, KnownKey] = {}
    for method in methods:
        if not isinstance(method, Mapping) or method.get("id") not in assertion:
            continue
        if method.get("type") != "Multikey":
            continue
        public = decode_public_key(method.get("publicKeyMultibase"))  # type: ignore[arg-type]
        created = _time(method, "createdAt")
        key = IssuerKey(public, created or datetime.min.replace(tzinfo=None), _time(method, "retiredAt"))
        if created is None:
            key = IssuerKey(public, parse_datetime("0001-01-01T00:00:00Z"), key.retired_at)
        known[method["id"]] = KnownKey(method["id"], str(method.get("controller")), key)
    return known


def keys_of(controller: str, keys: Sequence[IssuerKey]) -> dict[str, KnownKey]:
    """The trusted verification methods of the bank's own keyring."""
    return keys_from_document(did_document(controller, keys))


def resolve_did_key(method: str) -> bytes | None:
    """The public key a ``did:key`` verification method names, or None if it is not one."""
    if not method.startswith(f"{DID_KEY}:"):
        return None
    did, _, fragment = method.partition("#")
    encoded = did[len(DID_KEY) + 1 :]
    if fragment and fragment != encoded:
        return None
    try:
        return decode_public_key(encoded)
    except InvalidInput:
        return None
