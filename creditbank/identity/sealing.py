"""Sealing personal data at rest (AES-256-GCM) and the keyed hash that finds accounts.

Key-encryption keys (KEKs) live in files outside the database (``instance/keys/kek``), one
file per version, mode 0600 in a 0700 folder, wrapped with the passphrase from the
environment when one is set. Per-purpose keys are derived from a KEK with HKDF-SHA256. Each
sealed value is bound to its place (``learner:<id>:name``) as associated data, so a value
copied to another row or column does not open. Erasing a learner's personal data (PIPL)
means clearing the sealed columns; the log, which never held them, is untouched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from creditbank.errors import CreditbankError, SigningKeyError

KEY_SIZE = 32
NONCE_SIZE = 12
_FILE = re.compile(r"^kek-([0-9]{1,6})\.key$")
_PLAIN = b"CBKEK1P"  # raw key follows
_WRAPPED = b"CBKEK1W"  # scrypt salt, nonce, AES-GCM(wrapped key) follow
_SALT = 16


class SealError(CreditbankError):
    """A sealed value does not open: tampered, moved, or sealed under an unknown key."""

    status = 500
    slug = "seal-error"
    title = "Sealed data does not open"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_VERSION = re.compile(r"[0-9]{1,6}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _unb64(text: str) -> bytes:
    # Strict: the decoder would skip stray characters; only the one canonical spelling opens.
    if not _B64URL.fullmatch(text):
        raise ValueError("not unpadded base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


def _wrapping_key(passphrase: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=KEY_SIZE, n=2**15, r=8, p=1).derive(passphrase)


def _encode_file(kek: bytes, passphrase: bytes | None) -> bytes:
    if passphrase is None:
        return _PLAIN + kek
    salt, nonce = os.urandom(_SALT), os.urandom(NONCE_SIZE)
    wrapped = AESGCM(_wrapping_key(passphrase, salt)).encrypt(nonce, kek, _WRAPPED)
    return _WRAPPED + salt + nonce + wrapped


def _decode_file(path: Path, data: bytes, passphrase: bytes | None) -> bytes:
    if data.startswith(_PLAIN) and len(data) == len(_PLAIN) + KEY_SIZE:
        if passphrase is not None:
            raise SigningKeyError(f"{path} is not passphrase-protected but a passphrase was given")
        return data[len(_PLAIN) :]
    if data.startswith(_WRAPPED):
        if passphrase is None:
            raise SigningKeyError(f"{path} is passphrase-protected: a passphrase is required")
        body = data[len(_WRAPPED) :]
        if len(body) < _SALT + NONCE_SIZE + KEY_SIZE + 16:  # 16: the AES-GCM tag
            raise SigningKeyError(f"{path} is truncated")
        salt, nonce, wrapped = (
            body[:_SALT],
            body[_SALT : _SALT + NONCE_SIZE],
            body[_SALT + NONCE_SIZE :],
        )
        try:
            return AESGCM(_wrapping_key(passphrase, salt)).decrypt(nonce, wrapped, _WRAPPED)
        except InvalidTag:
            raise SigningKeyError(
                f"cannot unwrap {path}: wrong passphrase or damaged file"
            ) from None
    raise SigningKeyError(f"{path} is not a creditbank key-encryption key")


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningKeyError(
            f"{path} is readable by others (mode {mode:o}); make it 0600 / 0700 first"
        )


class KeyEncryptionKeys:
    """The versioned KEKs of one instance."""

    def __init__(self, directory: Path, passphrase: bytes | None, keys: dict[int, bytes]) -> None:
        self.directory = directory
        self._passphrase = passphrase
        self._keys = keys

    def __repr__(self) -> str:
        return f"KeyEncryptionKeys({str(self.directory)!r}, versions {sorted(self._keys)})"

    @classmethod
    def create(cls, directory: Path, passphrase: bytes | None) -> KeyEncryptionKeys:
        """Create the folder with a first KEK (version 1)."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory.chmod(0o700)
        if any(_FILE.fullmatch(p.name) for p in directory.iterdir()):
            raise SigningKeyError(f"{directory} already holds key-encryption keys")
        keys = cls(directory, passphrase, {})
        keys._write(1)
        return keys

    @classmethod
    def open(cls, directory: Path, passphrase: bytes | None) -> KeyEncryptionKeys:
        """Load every KEK version, refusing files others can read."""
        if not directory.is_dir():
            raise SigningKeyError(f"no key-encryption keys in {directory}: run 'creditbank init'")
        _check_private(directory)
        keys: dict[int, bytes] = {}
        for path in directory.iterdir():
            match = _FILE.fullmatch(path.name)
            if match:
                _check_private(path)
                keys[int(match.group(1))] = _decode_file(path, path.read_bytes(), passphrase)
        if not keys:
            raise SigningKeyError(f"no key-encryption keys in {directory}")
        return cls(directory, passphrase, keys)

    @property
    def current_version(self) -> int:
        """The version new values are sealed with."""
        return max(self._keys)

    def versions(self) -> list[int]:
        """Every version, oldest first."""
        return sorted(self._keys)

    def key(self, version: int) -> bytes:
        """The KEK of ``version``."""
        try:
            return self._keys[version]
        except KeyError:
            raise SealError(f"no key-encryption key of version {version}") from None

    def rotate(self) -> int:
        """Add a new KEK version; new values are sealed with it, old ones still open."""
        version = self.current_version + 1
        self._write(version)
        return version

    def _write(self, version: int) -> None:
        kek = os.urandom(KEY_SIZE)
        path = self.directory / f"kek-{version}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_encode_file(kek, self._passphrase))
            handle.flush()
            os.fsync(handle.fileno())
        self._keys[version] = kek


def _derive(kek: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=purpose).derive(kek)


class FieldSealer:
    """Seals and opens personal-data fields; hashes documents for lookup."""

    def __init__(self, keks: KeyEncryptionKeys) -> None:
        self._ciphers = {
            v: AESGCM(_derive(keks.key(v), b"creditbank seal v1")) for v in keks.versions()
        }
        self._version = keks.current_version
        # The lookup key never rotates (every stored lookup would change): it comes from KEK 1.
        self._lookup_key = _derive(keks.key(keks.versions()[0]), b"creditbank lookup v1")

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` bound to ``context``: ``v1.<version>.<nonce>.<ciphertext>``."""
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._ciphers[self._version].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        return f"v1.{self._version}.{_b64(nonce)}.{_b64(sealed)}"

    def open(self, token: str, *, context: str) -> str:
        """Decrypt a sealed value; SealError if it was altered, moved or its key is unknown."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "v1" or not _VERSION.fullmatch(parts[1]):
            raise SealError("a sealed value is malformed")
        cipher = self._ciphers.get(int(parts[1]))
        if cipher is None:
            raise SealError(f"no key-encryption key of version {parts[1]}")
        try:
            nonce, sealed = _unb64(parts[2]), _unb64(parts[3])
            return cipher.decrypt(nonce, sealed, context.encode("utf-8")).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError):
            where = context.split(":", maxsplit=1)[0]
            raise SealError(f"a sealed value does not open for {where}") from None

    def lookup_hash(self, material: bytes) -> str:
        """The keyed hash (HMAC-SHA256, hex) that finds an account by its document."""
        return hmac.new(self._lookup_key, material, hashlib.sha256).hexdigest()
