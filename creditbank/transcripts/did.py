"""The issuer's DID: ``did:web`` (document at ``/.well-known/did.json``) or ``did:key``.

``did:web`` is resolved by its specification: ``did:web:host[%3Aport][:path...]`` names the
document at ``https://host[:port]/path.../did.json`` (``/.well-known/did.json`` without a
path); the document's ``id`` must be the DID and each verification method's ``controller``
must be that DID too, so a document served for one DID cannot lend its keys to another.

A verification method is named ``<did>#<publicKeyMultibase>`` for both methods, so a
transcript names its key the same way whichever the deployment uses. The document lists every
key ever used; a retired key carries ``retiredAt`` (the project's context) and verifies only
proofs made before then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.errors import InvalidInput, NoteError, UntrustedIssuer
from creditbank.ledger.note import NoteVerifier, parse_verifier_key
from creditbank.transcripts.contexts import CREDITBANK_CONTEXT
from creditbank.transcripts.cryptosuite import format_datetime, parse_datetime
from creditbank.transcripts.keys import IssuerKey
from creditbank.transcripts.multikey import decode_public_key, encode_public_key

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DID_KEY = "did:key"
DID_WEB = "did:web"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_SEGMENT_CHARS = _HOST_CHARS | frozenset("_~%")
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


def did_web(public_url: str) -> str:
    """The ``did:web`` of a service reachable at ``public_url`` (host, port and path)."""
    parts = urlsplit(public_url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput(f"a did:web needs an https URL, got {public_url!r}")
    host = parts.hostname + (quote(f":{parts.port}") if parts.port else "")
    path = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *path])


def _did_web_parts(did: str) -> tuple[str, int | None, list[str]]:
    """The host, port and path segments of a ``did:web``; InvalidInput naming the fault."""
    if not did.startswith(f"{DID_WEB}:"):
        raise InvalidInput(f"{did!r} is not a did:web")
    if any(char in did for char in "/?#"):
        raise InvalidInput(f"{did!r}: a did:web has no '/', query or fragment")
    host_part, *path = did[len(DID_WEB) + 1 :].split(":")
    host_text = unquote(host_part)
    host, colon, port_text = host_text.partition(":")
    labels = host.split(".")
    if not host or not set(host) <= _HOST_CHARS or "" in labels:
        raise InvalidInput(f"{did!r}: {host_text!r} is not a domain name")
    port = None
    if colon:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidInput(f"{did!r}: port {port_text!r} is not 1-65535")
        port = int(port_text)
    for segment in path:
        if not segment or not set(segment) <= _SEGMENT_CHARS or unquote(segment) in (".", ".."):
            raise InvalidInput(f"{did!r}: path segment {segment!r} is empty or not allowed")
    return host.lower(), port, path


def did_web_url(did: str) -> str:
    """Where a ``did:web``'s document is, by the did:web specification."""
    host, port, path = _did_web_parts(did)
    authority = host if port is None else f"{host}:{port}"
    return "/".join([f"https://{authority}", *(path or [".well-known"]), "did.json"])


def did_web_origin(did: str) -> str | None:
    """The https origin a ``did:web`` names (``https://host[:port]``), None for other DIDs."""
    try:
        host, port, _ = _did_web_parts(did)
    except InvalidInput:
        return None
    return f"https://{host}" if port is None else f"https://{host}:{port}"


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


def did_document(
    controller: str, keys: Sequence[IssuerKey], log_keys: Sequence[str] = ()
) -> dict[str, Any]:
    """The DID document listing every key (newest first) as a Multikey.

    ``log_keys`` are the log's note verifier keys, so one file gives an offline verifier
    both the transcript keys and the checkpoint keys.
    """
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
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT, CREDITBANK_CONTEXT],
        "id": controller,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }
    if log_keys:
        document["logVerifierKey"] = list(log_keys)
    return document


@dataclass(frozen=True)
class KnownKey:
    """A verification method a verifier trusts, with its validity."""

    method_id: str
    controller: str
    key: IssuerKey

    @cached_property
    def verifier(self) -> Ed25519PublicKey:
        """The public key, ready to verify with (built once per known key)."""
        return Ed25519PublicKey.from_public_bytes(self.key.public_key)


def _time(method: Mapping[str, Any], name: str) -> datetime | None:
    value = method.get(name)
    return None if value is None else parse_datetime(value)


def keys_from_document(document: Mapping[str, Any]) -> dict[str, KnownKey]:
    """Read the assertion methods of a DID document, each controlled by the document's DID.

    A method named under another DID, or controlled by another, is refused
    (:class:`UntrustedIssuer`): the document speaks only for its own ``id``.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("id"), str):
        raise InvalidInput("the keys file is not a DID document (it has no id)")
    subject: str = document["id"]
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
        name = str(method["id"])
        if method.get("controller") != subject or not name.startswith(f"{subject}#"):
            raise UntrustedIssuer(
                f"verification method {name} (controller {method.get('controller')!r}) "
                f"is not the DID document's own ({subject})"
            )
        public = decode_public_key(method.get("publicKeyMultibase"))  # type: ignore[arg-type]
        created = _time(method, "createdAt") or _EARLIEST
        key = IssuerKey(public, created, _time(method, "retiredAt"))
        known[name] = KnownKey(name, subject, key)
    return known


def resolved_keys(did: str, document: Any) -> dict[str, KnownKey]:
    """The keys of ``did`` from the document resolved for it; UntrustedIssuer if it is not its.

    ``document`` is what the DID's own address served (:func:`did_web_url`), or what an
    address the verifier pinned for this issuer served.
    """
    if not isinstance(document, Mapping) or document.get("id") != did:
        found = document.get("id") if isinstance(document, Mapping) else None
        raise UntrustedIssuer(f"the DID document resolved for {did} has id {found!r}")
    return keys_from_document(document)


def log_keys_from_document(document: Mapping[str, Any]) -> list[NoteVerifier]:
    """The log's note verifier keys a DID document carries (``logVerifierKey``)."""
    raw = document.get("logVerifierKey", [])
    if not isinstance(raw, list):
        raise InvalidInput("logVerifierKey must be a list of note verifier keys")
    try:
        return [parse_verifier_key(text) for text in raw if isinstance(text, str)]
    except NoteError as exc:
        raise InvalidInput(f"logVerifierKey: {exc.detail}") from None


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
