r"""C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature): Ed25519 witness cosignatures.

A cosignature is a signed-note signature line whose bytes are ``key id || u64 big-endian
timestamp || Ed25519 signature``. The signed message is ``cosignature/v1\n``, ``time <unix>\n``
and the whole checkpoint body. The key id is SHA-256(name || 0x0A || 0x04 || public key)[:4],
so a cosigner key never collides with the same key used as a plain note key (type 0x01).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PublicKey,
)

from creditbank.errors import CosignatureInvalid, NoteError
from creditbank.ledger.note import (
    ED25519_SIGNATURE_SIZE,
    KEY_ID_SIZE,
    NamedKey,
    NamedSigner,
    NoteSignature,
    check_text,
    split_verifier_key,
)

COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
TIMESTAMP_SIZE = 8
COSIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE
MAX_TIMESTAMP = 2**63 - 1


def cosigned_message(body: str, timestamp: int) -> bytes:
    """Return what a cosigner signs: the header, ``time <timestamp>`` and the checkpoint body."""
    check_text(body)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    return f"{HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class Cosignature:
    """One cosignature: the cosigner's name and key id, the timestamp and the Ed25519 bytes."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @property
    def label(self) -> str:
        """``<name>+<hex key id>``."""
        return f"{self.name}+{self.key_id.hex()}"

    def note_signature(self) -> NoteSignature:
        """Return it as a signed-note signature (timestamp and signature after the key id)."""
        return NoteSignature(
            self.name, self.key_id, struct.pack(">Q", self.timestamp) + self.signature
        )

    def line(self) -> str:
        """Return the signature line, newline included."""
        return self.note_signature().line()


def parse_cosignature(signature: NoteSignature) -> Cosignature:
    """Read the timestamp and Ed25519 signature out of a note signature line's bytes."""
    raw = signature.signature
    if len(raw) != COSIGNATURE_SIZE:
        raise NoteError(
            f"signature by {signature.label} is {KEY_ID_SIZE} + {len(raw)} bytes, "
            f"a cosignature/v1 is {KEY_ID_SIZE} + {COSIGNATURE_SIZE}"
        )
    (timestamp,) = struct.unpack(">Q", raw[:TIMESTAMP_SIZE])
    if timestamp > MAX_TIMESTAMP:
        raise NoteError(f"cosignature by {signature.label} has timestamp {timestamp} above 2^63-1")
    return Cosignature(signature.name, signature.key_id, timestamp, raw[TIMESTAMP_SIZE:])


class CosignerKey(NamedKey):
    """A cosigner's (witness's) public key: its name, cosignature key id and Ed25519 key."""

    SIG_TYPE = COSIGNATURE_V1
    WHAT = "cosigner key"

    def matches(self, signature: NoteSignature) -> bool:
        """Whether a signature line names this cosigner (same name and key id)."""
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, body: str, signature: NoteSignature) -> Cosignature:
        """Check this cosigner's signature line on checkpoint ``body``; return the cosignature.

        Raise CosignatureInvalid when the line is not a well-formed, valid cosignature.
        """
        if not self.matches(signature):
            raise CosignatureInvalid(f"signature by {signature.label} is not by {self.label}")
        try:
            cosignature = parse_cosignature(signature)
        except NoteError as exc:
            raise CosignatureInvalid(exc.detail) from None
        message = cosigned_message(body, cosignature.timestamp)
        try:
            self.public_key.verify(cosignature.signature, message)
        except InvalidSignature:
            raise CosignatureInvalid(
                f"cosignature by {self.label} (time {cosignature.timestamp}) does not verify"
            ) from None
        return cosignature


def parse_cosigner_key(text: str) -> CosignerKey:
    """Parse a cosigner vkey ``<name>+<hex key id>+base64(0x04 || public key)``."""
    name, claimed, raw = split_verifier_key(text.strip(), COSIGNATURE_V1)
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise NoteError("cosigner key is not a valid Ed25519 public key") from None
    return CosignerKey(name, claimed, public_key)


class Cosigner(NamedSigner[CosignerKey]):
    """A witness's Ed25519 cosigning key with its name."""

    PUBLIC = CosignerKey

    @property
    def key(self) -> CosignerKey:
        """The matching public key."""
        return self._public

    def cosign(self, body: str, timestamp: int) -> Cosignature:
        """Cosign checkpoint ``body`` as of ``timestamp`` (POSIX seconds)."""
        signature = self._private_key.sign(cosigned_message(body, timestamp))
        return Cosignature(self._public.name, self._public.key_id, timestamp, signature)
