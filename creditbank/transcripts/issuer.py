"""The bank as issuer: its DID, the key it signs with now and every key it ever signed with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.ledger.note import NoteVerifier
from creditbank.transcripts import did
from creditbank.transcripts.credential import ISSUER_NAME_EN, ISSUER_NAME_ZH, Issuer
from creditbank.transcripts.keys import IssuerKeys
from creditbank.transcripts.trust_list import trust_list_document


@dataclass(frozen=True)
class IssuerIdentity:
    """What names the issuer and signs for it: its keyring and two settings.

    ``issuer_did`` is the setting: empty for the did:web of ``public_url``, or ``did:key``.
    """

    keys: IssuerKeys
    public_url: str
    issuer_did: str = ""

    @property
    def configured_did(self) -> str:
        """The issuer DID setting: ``did:key``, or a did:web (by default the public URL's)."""
        return self.issuer_did or did.did_web(self.public_url)

    def current(self) -> Issuer:
        """The bank as issuer, with its current signing key."""
        key, private = self.keys.current()
        controller = did.issuer_did(self.configured_did, key.public_key)
        return Issuer(
            did=controller,
            method_id=did.method_id(controller, key),
            private_key=private,
            public_url=self.public_url.rstrip("/"),
        )

    def trusted_keys(self) -> dict[str, did.KnownKey]:
        """Every verification method of the bank, current and earlier."""
        keys = self.keys.keys()
        if self.configured_did == did.DID_KEY:
            found: dict[str, did.KnownKey] = {}
            for key in keys:
                found.update(did.keys_of(did.did_key(key.public_key), [key]))
            return found
        return did.keys_of(self.configured_did, keys)


def did_document(identity: IssuerIdentity, log_verifiers: Sequence[NoteVerifier]) -> dict[str, Any]:
    """The DID document served at ``/.well-known/did.json`` (with the log's keys)."""
    log_keys = [verifier.verifier_key() for verifier in log_verifiers]
    return did.did_document(identity.current().did, identity.keys.keys(), log_keys)


def trust_list(identity: IssuerIdentity, log_verifiers: Sequence[NoteVerifier]) -> dict[str, Any]:
    """The trust list a verifier takes on trust, once, to verify this bank's transcripts.

    A did:key bank is one issuer per key it ever signed with (each key is its own DID).
    """
    log_keys = [verifier.verifier_key() for verifier in log_verifiers]
    name = f"{ISSUER_NAME_ZH} / {ISSUER_NAME_EN}"
    if identity.configured_did != did.DID_KEY:
        return trust_list_document(did_document(identity, log_verifiers), name, log_keys)
    entries = []
    for key in reversed(identity.keys.keys()):
        controller = did.did_key(key.public_key)
        document = did.did_document(controller, [key])
        entries.extend(trust_list_document(document, name, log_keys)["issuers"])
    return {
        **trust_list_document(did_document(identity, log_verifiers), name, log_keys),
        "issuers": entries,
    }
