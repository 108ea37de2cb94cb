"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys (signature type 0x01).

A signed note is a text ending in a newline, a blank line, and one or more signature lines
``— <key name> base64(key id || signature)``. A key is identified by its name *and* its
four-byte key id; signatures from keys the verifier does not know are ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, Self, TypeVar, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from creditbank.errors import NoteError

ED25519 = 0x01
KEY_ID_SIZE = 4
ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
# The spec asks verifiers to cap the signature count and accept at least 16; Go uses 100.
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\u2014 "
_SIGNER_KEY_PREFIX = "PRIVATE+KEY+"
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


def key_id(name: str, public_key: bytes, sig_type: int = ED25519) -> bytes:
    """Return SHA-256(name || 0x0A || sig_type || public_key)[:4], the note key id."""
    check_key_name(name)
    if not 0 <= sig_type <= 0xFF:
        raise NoteError(f"signature type {sig_type} is not a byte")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key)
    return digest.digest()[:KEY_ID_SIZE]


def check_key_name(name: str) -> None:
    """Raise NoteError unless ``name`` is a valid note key name."""
    if not name:
        raise NoteError("key name is empty")
    _check_utf8(name, "key name")
    for char in name:
        if char.isspace():
            raise NoteError(f"key name {name!r} contains whitespace")
        if char == "+":
            raise NoteError(f"key name {name!r} contains '+'")
        if char < " ":
            raise NoteError(f"key name {name!r} contains a control character")


def check_text(text: str) -> None:
    """Raise NoteError unless ``text`` can be the text of a signed note."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_utf8(text, "note text")
    _check_controls(text, "note text")


def _check_utf8(value: str, what: str) -> None:
    # A str can hold lone surrogates (e.g. from surrogateescape), which are not UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8") from None


def _check_controls(value: str, what: str) -> None:
    for offset, char in enumerate(value):
        if char < " " and char != "\n":
            raise NoteError(f"{what} contains control character U+{ord(char):04X} at {offset}")


def _b64decode(value: str, what: str) -> bytes:
    """Decode standard base64, accepting only the canonical (padded, zero-bit) encoding."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != value:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class NamedKey:
    """An Ed25519 public key under a name, with the key id of its signature type.

    Note verifiers (type 0x01) and cosigners (0x04) differ only in that type byte and in what
    they verify; subclasses set :attr:`SIG_TYPE` and add no fields.
    """

    SIG_TYPE: ClassVar[int] = ED25519
    WHAT: ClassVar[str] = "key"

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    def __post_init__(self) -> None:
        expected = key_id(self.name, self.public_bytes, self.SIG_TYPE)
        if self.key_id != expected:
            raise NoteError(
                f"{self.WHAT} id {self.key_id.hex()} does not match key {self.name} "
                f"(expected {expected.hex()})"
            )

    def __hash__(self) -> int:
        # Ed25519PublicKey is not hashable; the raw key bytes stand for it.
        return hash((self.name, self.key_id, self.public_bytes))

    @classmethod
    def for_key(cls, name: str, public_key: Ed25519PublicKey) -> Self:
        """Return the key of ``public_key`` under ``name``, computing its key id."""
        return cls(name, key_id(name, _raw_public(public_key), cls.SIG_TYPE), public_key)

    @property
    def public_bytes(self) -> bytes:
        """The raw 32-byte public key."""
        return _raw_public(self.public_key)

    @property
    def label(self) -> str:
        """``<name>+<hex key id>``, how messages name this key."""
        return f"{self.name}+{self.key_id.hex()}"

    def verifier_key(self) -> str:
        """Return the vkey text ``<name>+<hex key id>+base64(type byte || public key)``."""
        return f"{self.label}+{_b64encode(bytes([self.SIG_TYPE]) + self.public_bytes)}"


class NoteVerifier(NamedKey):
    """An Ed25519 note verifier: a key name, its key id and the public key."""

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` (without key id) is this key's signature of ``message``."""
        if len(signature) != ED25519_SIGNATURE_SIZE:
            return False
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def _split_key(text: str, parts: int, what: str) -> list[str]:
    # Names and hex ids never contain '+', but the base64 key at the end may.
    fields = text.split("+", parts - 1)
    if len(fields) != parts:
        raise NoteError(f"{what} must have {parts} '+'-separated fields, got {len(fields)}")
    return fields


def _parse_key_fields(
    name: str, hex_id: str, encoded: str, what: str, sig_type: int = ED25519
) -> tuple[bytes, bytes]:
    """Check the name, id and ``base64(sig_type || key)`` fields; return (key id, key bytes)."""
    check_key_name(name)
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError(f"{what} key id {hex_id!r} is not 8 lowercase hex digits")
    raw = _b64decode(encoded, f"{what} key")
    if len(raw) != 1 + ED25519_KEY_SIZE:
        raise NoteError(f"{what} key must be 1 + {ED25519_KEY_SIZE} bytes, got {len(raw)} bytes")
    if raw[0] != sig_type:
        raise NoteError(f"{what} key type 0x{raw[0]:02x} is not 0x{sig_type:02x}")
    return bytes.fromhex(hex_id), raw[1:]


def split_verifier_key(text: str, sig_type: int = ED25519) -> tuple[str, bytes, bytes]:
    """Parse a vkey ``<name>+<hex id>+base64(sig_type || key)``; return (name, id, key bytes).

    The key id must be the one the name, ``sig_type`` and key give.
    """
    name, hex_id, encoded = _split_key(text, 3, "verifier key")
    claimed, raw = _parse_key_fields(name, hex_id, encoded, "verifier", sig_type)
    actual = key_id(name, raw, sig_type)
    if claimed != actual:
        raise NoteError(
            f"verifier key id {hex_id} does not match the key (computed {actual.hex()})"
        )
    return name, claimed, raw


def parse_verifier_key(text: str) -> NoteVerifier:
    """Parse ``<name>+<hex key id>+base64(0x01 || public key)``; the key id must match."""
    name, claimed, raw = split_verifier_key(text)
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise NoteError("verifier key is not a valid Ed25519 public key") from None
    return NoteVerifier(name, claimed, public_key)


K = TypeVar("K", bound=NamedKey)


class NamedSigner(Generic[K]):
    """An Ed25519 private key under a name, with the matching public :class:`NamedKey`."""

    PUBLIC: ClassVar[type[NamedKey]]

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._public = cast("K", self.PUBLIC.for_key(name, private_key.public_key()))

    def __repr__(self) -> str:
        # Never show the private key.
        return f"{type(self).__name__}({self._public.label})"

    @classmethod
    def generate(cls, name: str) -> Self:
        """Return a signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def name(self) -> str:
        """The key name."""
        return self._public.name

    @property
    def private_key(self) -> Ed25519PrivateKey:
        """The Ed25519 private key (for storing it)."""
        return self._private_key


class NoteSigner(NamedSigner[NoteVerifier]):
    """An Ed25519 note signing key with its name."""

    PUBLIC = NoteVerifier

    @property
    def key_id(self) -> bytes:
        """The four-byte key id."""
        return self._public.key_id

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message`` (without the key id)."""
        return self._private_key.sign(message)

    def signer_key(self) -> str:
        """Return the Go signer key text ``PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)``."""
        seed = self._private_key.private_bytes_raw()
        return f"{_SIGNER_KEY_PREFIX}{self._public.label}+{_b64encode(bytes([ED25519]) + seed)}"


def parse_signer_key(text: str) -> NoteSigner:
    """Parse a Go signer key ``PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)``."""
    if not text.startswith(_SIGNER_KEY_PREFIX):
        raise NoteError("signer key must start with 'PRIVATE+KEY+'")
    name, hex_id, encoded = _split_key(text[len(_SIGNER_KEY_PREFIX) :], 3, "signer key")
    claimed, seed = _parse_key_fields(name, hex_id, encoded, "signer")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != claimed:
        raise NoteError(
            f"signer key id {hex_id} does not match the key (computed {signer.key_id.hex()})"
        )
    return signer


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key id and the signature bytes after the id."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def label(self) -> str:
        """``<name>+<hex key id>``."""
        return f"{self.name}+{self.key_id.hex()}"

    def line(self) -> str:
        """Return the signature line, newline included."""
        return f"{SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """A parsed (not yet verified) signed note."""

    text: str
    signatures: tuple[NoteSignature, ...]


def _signature_lines(
    text: str, signers: Sequence[NoteSigner], present: set[tuple[str, bytes]]
) -> list[str]:
    message = text.encode("utf-8")
    lines: list[str] = []
    for signer in signers:
        identity = (signer.name, signer.key_id)
        if identity in present:
            continue
        present.add(identity)
        lines.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)).line())
    return lines


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` with every signer; return the signed note."""
    check_text(text)
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise NoteError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(_signature_lines(text, signers, set()))


def add_signatures(signed_note: str, signers: Sequence[NoteSigner]) -> str:
    """Append signatures by ``signers`` to a signed note, skipping keys that already signed it."""
    note = parse_note(signed_note)
    present = {(sig.name, sig.key_id) for sig in note.signatures}
    added = _signature_lines(note.text, signers, present)
    if len(note.signatures) + len(added) > MAX_SIGNATURES:
        raise NoteError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return signed_note + "".join(added)


def _parse_signature_line(line: str, number: int) -> NoteSignature:
    where = f"signature line {number}"
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"{where} does not start with an em dash (U+2014) and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not encoded:
        raise NoteError(f"{where} has no signature after the key name")
    try:
        check_key_name(name)
    except NoteError as exc:
        raise NoteError(f"{where}: {exc.detail}") from None
    raw = _b64decode(encoded, f"{where} signature")
    if len(raw) <= KEY_ID_SIZE:
        raise NoteError(f"{where}: signature of {len(raw)} bytes is too short")
    return NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def parse_note(signed_note: str) -> Note:
    """Split a signed note into its text and signature lines, checking the grammar."""
    _check_utf8(signed_note, "signed note")
    _check_controls(signed_note, "signed note")
    split = signed_note.rfind("\n\n")
    if split < 0:
        raise NoteError("signed note has no blank line before the signatures")
    text, block = signed_note[: split + 1], signed_note[split + 2 :]
    if not block:
        raise NoteError("signed note has no signature lines")
    if not block.endswith("\n"):
        raise NoteError("signed note does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"signed note has {len(lines)} signatures, at most {MAX_SIGNATURES}")
    signatures = tuple(_parse_signature_line(line, n) for n, line in enumerate(lines, 1))
    return Note(text, signatures)


def open_note(
    signed_note: str, verifiers: Sequence[NoteVerifier]
) -> tuple[Note, tuple[NoteVerifier, ...]]:
    """Parse and verify a note; return it and the known verifiers whose signatures verified."""
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        identity = (verifier.name, verifier.key_id)
        if identity in known and known[identity] != verifier:
            raise NoteError(f"two different verifier keys are named {verifier.label}")
        known[identity] = verifier
    note = parse_note(signed_note)
    message = note.text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteVerifier] = {}
    for sig in note.signatures:
        match = known.get((sig.name, sig.key_id))
        if match is None:
            continue  # a signature by a key we were not asked to trust (e.g. a witness)
        if not match.verify(message, sig.signature):
            raise NoteError(f"signature by {sig.label} does not verify")
        verified[(sig.name, sig.key_id)] = match
    if not verified:
        raise NoteError("no signature from a known key")
    return note, tuple(verified.values())
