"""The bank's transcript-signing keys: a keyring on disk, never in the database.

It is the log's :class:`~creditbank.ledger.keys.Keyring` (owner-only files, optional
passphrase encryption, ``keyring.json`` listing every key ever used) in its own folder,
``keys/transcripts/``. The newest active key signs; rotation adds a key and retires the
previous one, which stays listed (with when it was retired) so transcripts it signed keep
verifying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.errors import SigningKeyError
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.keys import KEYRING_FILE, KeyInfo, Keyring
from creditbank.ledger.service import Ledger
from creditbank.transcripts.multikey import encode_public_key

KEY_NAME = "creditbank-transcripts"


@dataclass(frozen=True)
class IssuerKey:
    """One transcript-signing key as verifiers see it."""

    public_key: bytes
    created_at: datetime
    retired_at: datetime | None

    @property
    def multibase(self) -> str:
        """The ``publicKeyMultibase``, also the fragment of its verification method."""
        return encode_public_key(self.public_key)

    def valid_at(self, moment: datetime) -> str | None:
        """Why the key could not sign at ``moment``, or None when it could."""
        if moment < self.created_at:
            return f"the key was created at {self.created_at.isoformat()}, after {moment}"
        # Times are to the second: a proof made in the second of retirement still counts.
        if self.retired_at is not None and moment > self.retired_at:
            return f"the key was retired at {self.retired_at.isoformat()}, before {moment}"
        return None


def _issuer_key(info: KeyInfo) -> IssuerKey:
    return IssuerKey(info.public_key, info.created_at, info.retired_at)


class IssuerKeys:
    """Open, rotate and use the transcript keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    @classmethod
    def open_or_create(cls, directory: Path, passphrase: bytes | None) -> IssuerKeys:
        """Open the keyring in ``directory``, creating it with one key on first use."""
        if not (directory / KEYRING_FILE).exists():
            try:
                return cls(Keyring.create(directory, KEY_NAME, passphrase))
            except SigningKeyError:
                # Another process created it first.
                if not (directory / KEYRING_FILE).exists():
                    raise
        return cls(Keyring.open(directory, passphrase))

    def keys(self) -> list[IssuerKey]:
        """Every key ever used, oldest first."""
        infos = self.keyring.keys()
        return [_issuer_key(info) for info in infos]

    def current(self) -> tuple[IssuerKey, Ed25519PrivateKey]:
        """The signing key and its private half."""
        signer = self.keyring.current
        public = signer.verifier.public_bytes
        infos = self.keyring.keys()
        info = next(i for i in infos if i.public_key == public)
        return _issuer_key(info), signer.private_key

    def rotate(self) -> IssuerKey:
        """Add a fresh key and retire every older active one; return the new key."""
        infos = self.keyring.keys()
        previous = [info for info in infos if info.active]
        signer = self.keyring.rotate()
        for info in previous:
            self.keyring.retire(info.key_id.hex())
        public = signer.verifier.public_bytes
        infos = self.keyring.keys()
        return next(_issuer_key(i) for i in infos if i.public_key == public)


def rotate_issuer_key(keys: IssuerKeys, ledger: Ledger, *, actor: str, now: datetime) -> IssuerKey:
    """Rotate the transcript signing key and record it in the log, naming the operator.

    The entry holds the new key's multibase, so the log shows when each key began to sign and
    who rotated it.
    """
    key = keys.rotate()
    with ledger.transaction() as tx:
        tx.record(
            EntryKind.ISSUER_KEY_ROTATED,
            actor,
            {"public_key_multibase": key.multibase},
            now=now,
        )
    return key
