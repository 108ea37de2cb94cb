"""The bank as issuer: its DID, the key it signs with now and every key it ever signed with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.ledger.note import NoteVerifier
from creditbank.transcripts import did
from creditbank.transcripts.credential import Issuer
from creditbank.transcripts.keys import IssuerKeys


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
