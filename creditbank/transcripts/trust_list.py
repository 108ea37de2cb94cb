"""The verifier's trust list: which issuers it accepts, their log keys and their signing keys.

Offline verification must be anchored: a DID document, a checkpoint or a status list an
attacker hands over proves nothing by itself. The trust list is the one file a verifier takes
on trust, once, from a channel it believes (the bank publishes its own at
``/.well-known/creditbank-trust-list.json`` and ``creditbank trust-list`` writes it):

.. code-block:: json

    {"type": "CreditbankTrustList", "version": 1,
     "issuers": [{"id": "did:web:creditbank.cq.edu.cn", "name": "成渝地区学分银行",
                  "logVerifierKey": ["creditbank.cq.edu.cn/log+1a2b3c4d+AbC…"],
                  "verificationMethod": [{"id": "did:web:…#z6Mk…", "type": "Multikey", …}]}]}

An issuer's log keys are the only keys a checkpoint is checked with. Its verification methods,
when listed, are pinned; a ``did:web`` issuer may also have keys resolved from its DID's own
address, a ``did:key`` issuer's key is its DID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from creditbank.errors import CreditbankError, InvalidInput, NoteError, UntrustedIssuer
from creditbank.ledger.note import NoteVerifier, parse_verifier_key
from creditbank.transcripts.did import (
    DID_KEY,
    DID_WEB,
    KnownKey,
    did_web_url,
    keys_from_document,
    resolve_did_key,
)
from creditbank.transcripts.keys import IssuerKey

TRUST_LIST_TYPE = "CreditbankTrustList"
TRUST_LIST_VERSION = 1
TRUST_LIST_PATH = "/.well-known/creditbank-trust-list.json"
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TrustedIssuer:
    """One accepted issuer: its DID, its log's note keys and its pinned signing keys."""

    did: str
    name: str | None
    log_keys: tuple[str, ...]
    pinned: Mapping[str, KnownKey] = field(default_factory=dict)

    def verifiers(self) -> list[NoteVerifier]:
        """The log's note verifiers."""
        return [parse_verifier_key(text) for text in self.log_keys]


@dataclass(frozen=True)
class TrustList:
    """Every issuer the verifier accepts, by DID."""

    issuers: Mapping[str, TrustedIssuer]

    def issuer(self, did: str) -> TrustedIssuer:
        """The trusted issuer ``did``; UntrustedIssuer when the list does not hold it."""
        found = self.issuers.get(did)
        if found is None:
            raise UntrustedIssuer(f"{did} is not on the trust list")
        return found

    def pinned_keys(self) -> dict[str, KnownKey]:
        """Every pinned verification method of every issuer."""
        keys: dict[str, KnownKey] = {}
        for issuer in self.issuers.values():
            keys.update(issuer.pinned)
        return keys

    def log_verifiers(self) -> list[NoteVerifier]:
        """Every trusted log key, of every issuer."""
        return [verifier for issuer in self.issuers.values() for verifier in issuer.verifiers()]

    def trusted_log_key(self, text: str) -> bool:
        """Whether a note verifier key is one of the trusted log keys."""
        return any(text in issuer.log_keys for issuer in self.issuers.values())


def _did_key_methods(did: str) -> dict[str, KnownKey]:
    fragment = did[len(DID_KEY) + 1 :]
    method = f"{did}#{fragment}"
    public = resolve_did_key(method)
    if public is None:
        raise InvalidInput(f"trust list: {did!r} is not a did:key of an Ed25519 key")
    return {method: KnownKey(method, did, IssuerKey(public, _EARLIEST, None))}


def _issuer(position: int, entry: Any) -> TrustedIssuer:
    where = f"trust list issuer {position}"
    if not isinstance(entry, Mapping):
        raise InvalidInput(f"{where} is not an object")
    did = entry.get("id")
    if not isinstance(did, str) or not did.startswith((f"{DID_WEB}:", f"{DID_KEY}:")):
        raise InvalidInput(f"{where}: id must be a did:web or did:key")
    if did.startswith(f"{DID_WEB}:"):
        did_web_url(did)  # InvalidInput naming the fault when it is not one
    name = entry.get("name")
    log_keys = entry.get("logVerifierKey")
    if not isinstance(log_keys, list) or not log_keys:
        raise InvalidInput(f"{where} ({did}): logVerifierKey must list the log's note keys")
    for text in log_keys:
        try:
            parse_verifier_key(text if isinstance(text, str) else "")
        except NoteError as exc:
            raise InvalidInput(f"{where} ({did}): log key {text!r}: {exc.detail}") from None
    methods = entry.get("verificationMethod", [])
    if not isinstance(methods, list):
        raise InvalidInput(f"{where} ({did}): verificationMethod must be a list")
    try:
        pinned = keys_from_document(
            {
                "id": did,
                "verificationMethod": methods,
                "assertionMethod": [m.get("id") for m in methods if isinstance(m, Mapping)],
            }
        )
    except CreditbankError as exc:
        raise InvalidInput(f"{where} ({did}): {exc.detail}") from None
    if did.startswith(f"{DID_KEY}:"):
        pinned = {**_did_key_methods(did), **pinned}
    return TrustedIssuer(did, name if isinstance(name, str) else None, tuple(log_keys), pinned)


def read_trust_list(document: Any) -> TrustList:
    """Read a trust list; InvalidInput naming what is wrong with it."""
    if not isinstance(document, Mapping) or document.get("type") != TRUST_LIST_TYPE:
        raise InvalidInput(f"the trust list is not a {TRUST_LIST_TYPE} document")
    if document.get("version") != TRUST_LIST_VERSION:
        raise InvalidInput(f"trust list version {document.get('version')!r} is not 1")
    entries = document.get("issuers")
    if not isinstance(entries, list) or not entries:
        raise InvalidInput("the trust list names no issuers")
    issuers: dict[str, TrustedIssuer] = {}
    for position, entry in enumerate(entries, 1):
        issuer = _issuer(position, entry)
        if issuer.did in issuers:
            raise InvalidInput(f"the trust list names {issuer.did} twice")
        issuers[issuer.did] = issuer
    return TrustList(issuers)


def trust_list_document(
    did_document: Mapping[str, Any], name: str | None, log_keys: Sequence[str]
) -> dict[str, Any]:
    """The trust list an issuer publishes for itself: its DID, log keys and signing keys."""
    entry: dict[str, Any] = {"id": did_document["id"]}
    if name:
        entry["name"] = name
    entry["logVerifierKey"] = list(log_keys)
    entry["verificationMethod"] = [
        method
        for method in did_document.get("verificationMethod", [])
        if method.get("controller") == did_document["id"]
    ]
    return {"type": TRUST_LIST_TYPE, "version": TRUST_LIST_VERSION, "issuers": [entry]}
