"""Sealing personal data at rest (AES-256-GCM), and the keyed hash that finds an account.

Key-encryption keys (KEKs) live outside the database, in ``instance/keys/kek``: one JSON file
per version (``kek-0001.json``, ``kek-0002.json``, ...), mode 0600 in a 0700 folder, the key
wrapped with the passphrase from the environment when one is set. A database dump alone
therefore opens nothing. Versions run 1..N without gaps; :meth:`KeyEncryptionKeys.rotate`
adds one, new values are sealed under the newest, and values sealed under older versions
still open.

From each KEK, HKDF-SHA256 derives one key per purpose (the ``info`` label names it): an
AES-256-GCM key that seals fields, and, from version 1 only, the HMAC-SHA256 key of the
account lookup. The lookup key never rotates because every stored lookup hash would change
with it; that is also why version 1 can never be removed.

A sealed value reads ``v1.<KEK version>.<nonce>.<ciphertext and tag>`` (base64url, no
padding) with a fresh random 96-bit nonce, and its place (``learner:<id>:name``) is the
associated data, so a value copied to another row or column does not open. Random nonces
are safe for about 2**32 values per KEK version; rotating starts a new count.

Erasing a learner's personal data (PIPL, 个人信息保护法) means clearing their sealed columns:
the ledger never held personal data, and nothing here has to change for an erasure.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import re
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from creditbank.errors import CreditbankError, SigningKeyError
from creditbank.identity.scrypt import ScryptParameters
from creditbank.storage.private_files import (
    FILE_MODE,
    fsync_directory,
    make_private_directory,
    write_new_private,
)

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
SALT_SIZE = 16
LOCK_FILE = ".lock"
FILE_FORMAT = "creditbank-kek"
FORMAT_VERSION = 1
SEAL_FORMAT = "v1"
MAX_VERSION = 999_999

# HKDF info labels: one derived key per purpose, so no key ever serves two algorithms.
SEAL_PURPOSE = b"creditbank/identity/seal/aes-256-gcm"
LOOKUP_PURPOSE = b"creditbank/identity/lookup/hmac-sha256"
LOOKUP_VERSION = 1

_KEK_FILE = re.compile(r"kek-([0-9]{4,6})\.json")
_VERSION = re.compile(r"[1-9][0-9]{0,5}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class SealError(CreditbankError):
    """A sealed value does not open: malformed, altered, moved, or under an unknown KEK."""

    status = 500
    slug = "seal-error"
    title = "Sealed data does not open"


# --- encoding helpers --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url, accepting only its one canonical spelling."""
    # The stdlib decoder skips stray characters and ignores padding bits; a sealed value
    # must not have several spellings that all open.
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


def _utf8(text: str) -> bytes:
    # surrogatepass: whatever str came in comes back out, and sealing never fails on it.
    return text.encode("utf-8", "surrogatepass")


def _timestamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _filename(version: int) -> str:
    return f"kek-{version:04d}.json"


def _derive(kek: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=purpose).derive(kek)


def _wrapping_key(passphrase: bytes, salt: bytes, params: ScryptParameters) -> bytes:
    return params.derive(passphrase, salt, KEY_SIZE)


def _wrap_context(version: int) -> bytes:
    # Bound into the wrapped key, so a file renamed to another version does not unwrap.
    return f"{FILE_FORMAT} {version}".encode("ascii")


# --- key files ---------------------------------------------------------------------------------


def _check_passphrase(passphrase: bytes | None) -> None:
    if passphrase is not None and not passphrase:
        raise SigningKeyError("the key passphrase is empty; give none or a non-empty one")


def _check_mode(path: Path, mode: int, *, directory: bool) -> None:
    if mode & 0o077:
        kind, fix = ("directory", "700") if directory else ("file", "600")
        raise SigningKeyError(
            f"key-encryption key {kind} {path} has mode {mode:04o}, open to group or others; "
            f"fix it with: chmod {fix} {path}"
        )


def _check_private_directory(directory: Path) -> None:
    _check_mode(directory, stat.S_IMODE(directory.stat().st_mode), directory=True)


def _read_private(path: Path) -> bytes:
    """Read an owner-only regular file (checked on the open descriptor, not the name)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        # O_NOFOLLOW: a symbolic link could point the service at a file others can replace.
        why = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
        raise SigningKeyError(f"cannot read key-encryption key file {path}: {why}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SigningKeyError(f"key-encryption key file {path} is not a regular file")
        _check_mode(path, stat.S_IMODE(info.st_mode), directory=False)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _encode_file(version: int, kek: bytes, passphrase: bytes | None) -> bytes:
    document: dict[str, Any] = {
        "format": FILE_FORMAT,
        "format_version": FORMAT_VERSION,
        "kek_version": version,
        "created_at": _timestamp(),
    }
    if passphrase is None:
        document |= {"protection": "none", "key": _b64(kek)}
    else:
        params = ScryptParameters()
        salt, nonce = os.urandom(SALT_SIZE), os.urandom(NONCE_SIZE)
        wrapped = AESGCM(_wrapping_key(passphrase, salt, params)).encrypt(
            nonce, kek, _wrap_context(version)
        )
        document |= {
            "protection": "passphrase",
            "kdf": {"name": "scrypt", "n": params.n, "r": params.r, "p": params.p},
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "wrapped_key": _b64(wrapped),
        }
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def _field(document: dict[str, Any], name: str, kind: type, path: Path) -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SigningKeyError(f"{path}: field {name!r} is missing or not a {kind.__name__}")
    return value


def _bytes_field(document: dict[str, Any], name: str, size: int, path: Path) -> bytes:
    try:
        value = _unb64(_field(document, name, str, path))
    except ValueError:
        raise SigningKeyError(f"{path}: field {name!r} is not base64url") from None
    if len(value) != size:
        raise SigningKeyError(f"{path}: field {name!r} holds {len(value)} bytes, not {size}")
    return value


def _decode_file(path: Path, version: int, data: bytes, passphrase: bytes | None) -> bytes:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SigningKeyError(f"{path} is not a creditbank key-encryption key file") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise SigningKeyError(f"{path} is not a creditbank key-encryption key file")
    if document.get("format_version") != FORMAT_VERSION:
        raise SigningKeyError(f"{path} is not a format {FORMAT_VERSION} key-encryption key file")
    claimed = _field(document, "kek_version", int, path)
    if claimed != version:
        raise SigningKeyError(f"{path} holds key-encryption key version {claimed}, not {version}")
    protection = document.get("protection")
    if protection == "none":
        if passphrase is not None:
            raise SigningKeyError(f"{path} is not passphrase-protected but a passphrase was given")
        return _bytes_field(document, "key", KEY_SIZE, path)
    if protection != "passphrase":
        raise SigningKeyError(f"{path}: unknown protection {protection!r}")
    if passphrase is None:
        raise SigningKeyError(f"{path} is passphrase-protected: a passphrase is required")
    kdf = _field(document, "kdf", dict, path)
    if kdf.get("name") != "scrypt":
        raise SigningKeyError(f"{path}: unknown key derivation {kdf.get('name')!r}")
    params = ScryptParameters(
        _field(kdf, "n", int, path), _field(kdf, "r", int, path), _field(kdf, "p", int, path)
    )
    if not params.acceptable():
        raise SigningKeyError(f"{path}: scrypt parameters {params} are out of range")
    salt = _bytes_field(document, "salt", SALT_SIZE, path)
    nonce = _bytes_field(document, "nonce", NONCE_SIZE, path)
    wrapped = _bytes_field(document, "wrapped_key", KEY_SIZE + TAG_SIZE, path)
    try:
        return AESGCM(_wrapping_key(passphrase, salt, params)).decrypt(
            nonce, wrapped, _wrap_context(version)
        )
    except InvalidTag:
        raise SigningKeyError(f"cannot unwrap {path}: wrong passphrase or damaged file") from None


def _scan(directory: Path) -> dict[int, Path]:
    """Find the KEK files; versions must run 1..N, since each opens the values sealed under it."""
    found: dict[int, Path] = {}
    for path in directory.iterdir():
        match = _KEK_FILE.fullmatch(path.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version == 0:
            raise SigningKeyError(f"{path}: key-encryption key versions start at 1")
        if path.name != _filename(version):
            raise SigningKeyError(
                f"{path} is misnamed: version {version} belongs in {_filename(version)}"
            )
        found[version] = path
    missing = [v for v in range(1, max(found, default=0) + 1) if v not in found]
    if missing:
        names = ", ".join(_filename(v) for v in missing)
        raise SigningKeyError(
            f"key-encryption key files missing from {directory}: {names}; "
            "values sealed under them could not be opened"
        )
    return found


def _stamp(directory: Path) -> tuple[int, int]:
    # A new version appears as a new directory entry, which moves the folder's mtime: a
    # cheap check that lets long-running workers pick up a rotation made by the command line.
    try:
        info = directory.stat()
    except OSError as exc:
        raise SigningKeyError(
            f"cannot read key-encryption key folder {directory}: {exc.strerror}"
        ) from None
    return (info.st_ino, info.st_mtime_ns)


class KeyEncryptionKeys:
    """The versioned key-encryption keys of one instance: create, open, rotate."""

    def __init__(self, directory: Path, passphrase: bytes | None, keys: dict[int, bytes]) -> None:
        self.directory = directory
        self._passphrase = passphrase
        self._keys = keys
        self._stamp = _stamp(directory)
        self._refreshing = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyEncryptionKeys({str(self.directory)!r}, versions {self.versions()})"

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, passphrase: bytes | None) -> KeyEncryptionKeys:
        """Create the private folder with a first KEK (version 1)."""
        _check_passphrase(passphrase)
        directory = Path(directory)
        if directory.is_dir() and any(_KEK_FILE.fullmatch(p.name) for p in directory.iterdir()):
            raise SigningKeyError(f"{directory} already holds key-encryption keys")
        make_private_directory(directory)
        keys = cls(directory, passphrase, {})
        with keys._locked():
            keys._add()
        return keys

    @classmethod
    def open(cls, directory: Path, passphrase: bytes | None) -> KeyEncryptionKeys:
        """Load every KEK version, refusing files or a folder that others can read."""
        _check_passphrase(passphrase)
        directory = Path(directory)
        if not directory.is_dir():
            raise SigningKeyError(
                f"no key-encryption keys in {directory}: run 'creditbank init' first"
            )
        _check_private_directory(directory)
        keys = _load(directory, passphrase, {})
        if not keys:
            raise SigningKeyError(f"no key-encryption keys in {directory}")
        return cls(directory, passphrase, keys)

    def refresh(self, *, force: bool = False) -> bool:
        """Load versions another process added since; return whether there were any."""
        with self._refreshing:
            stamp = _stamp(self.directory)
            # force: the folder's mtime may not have moved if both changes fell in one tick.
            if stamp == self._stamp and not force:
                return False
            before = len(self._keys)
            _check_private_directory(self.directory)
            self._keys = _load(self.directory, self._passphrase, self._keys)
            self._stamp = stamp
            return len(self._keys) != before

    # --- reading ------------------------------------------------------------------------------

    @property
    def current_version(self) -> int:
        """The version new values are sealed under."""
        return max(self._keys)

    def versions(self) -> list[int]:
        """Every version, oldest first."""
        return sorted(self._keys)

    def key(self, version: int) -> bytes:
        """Return the KEK of ``version``."""
        try:
            return self._keys[version]
        except KeyError:
            raise SealError(f"no key-encryption key of version {version}") from None

    # --- changing -----------------------------------------------------------------------------

    def rotate(self) -> int:
        """Add a new KEK version and return it; new values use it, old ones still open."""
        with self._locked():
            return self._add()

    def _add(self) -> int:
        version = max(self._keys, default=0) + 1
        if version > MAX_VERSION:
            raise SigningKeyError(f"{self.directory} has run out of key-encryption key versions")
        kek = os.urandom(KEY_SIZE)
        final = self.directory / _filename(version)
        temporary = self.directory / f".{final.name}.tmp"
        temporary.unlink(missing_ok=True)
        write_new_private(temporary, _encode_file(version, kek, self._passphrase))
        if final.exists():
            temporary.unlink()
            raise SigningKeyError(f"{final} appeared while it was being written")
        # The rename is the commit point: readers see the whole file or none of it.
        os.replace(temporary, final)
        fsync_directory(self.directory)
        self._keys = {**self._keys, version: kek}
        return version

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the folder lock, working from what is on disk now."""
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with self._refreshing:
                # Another process may have added a version since this one read the folder.
                self._keys = _load(self.directory, self._passphrase, self._keys)
                yield
                self._stamp = _stamp(self.directory)
        finally:
            os.close(fd)


def _load(directory: Path, passphrase: bytes | None, known: dict[int, bytes]) -> dict[int, bytes]:
    """Return ``known`` plus every version on disk that it lacks."""
    try:
        files = _scan(directory)
    except OSError as exc:
        raise SigningKeyError(f"cannot list {directory}: {exc.strerror}") from None
    keys = dict(known)
    for version, path in files.items():
        if version not in keys:
            keys[version] = _decode_file(path, version, _read_private(path), passphrase)
    return keys


# --- sealing -----------------------------------------------------------------------------------


def _parse_token(token: str) -> tuple[int, bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != SEAL_FORMAT:
        raise SealError(
            f"a sealed value is malformed: it does not read {SEAL_FORMAT}.<version>.<nonce>.<data>"
        )
    if not _VERSION.fullmatch(parts[1]):
        raise SealError("a sealed value is malformed: its key version is not a number")
    try:
        nonce, sealed = _unb64(parts[2]), _unb64(parts[3])
    except (ValueError, binascii.Error):
        raise SealError("a sealed value is malformed: it is not base64url") from None
    if len(nonce) != NONCE_SIZE or len(sealed) < TAG_SIZE:
        raise SealError("a sealed value is malformed: it is truncated")
    return int(parts[1]), nonce, sealed


class FieldSealer:
    """Seals and opens personal-data fields, and hashes identity documents for lookup."""

    def __init__(self, keks: KeyEncryptionKeys) -> None:
        self._keks = keks
        self._ciphers: dict[int, AESGCM] = {}
        self._lookup_key = _derive(keks.key(LOOKUP_VERSION), LOOKUP_PURPOSE)

    def _cipher(self, version: int) -> AESGCM:
        cipher = self._ciphers.get(version)
        if cipher is None:
            if version not in self._keks.versions():
                self._keks.refresh(force=True)  # a rotation by another process, perhaps
            if version not in self._keks.versions():
                raise SealError(
                    f"a sealed value names key-encryption key version {version}, "
                    "which this instance does not have"
                )
            cipher = AESGCM(_derive(self._keks.key(version), SEAL_PURPOSE))
            self._ciphers[version] = cipher
        return cipher

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` bound to ``context``: ``v1.<version>.<nonce>.<ciphertext>``."""
        if not context:
            raise ValueError("a sealed value needs a context naming its place")
        self._keks.refresh()
        version = self._keks.current_version
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._cipher(version).encrypt(nonce, _utf8(plaintext), _utf8(context))
        return f"{SEAL_FORMAT}.{version}.{_b64(nonce)}.{_b64(sealed)}"

    def open(self, token: str, *, context: str) -> str:
        """Decrypt a sealed value; SealError if it is malformed, altered, moved or unknown."""
        version, nonce, sealed = _parse_token(token)
        try:
            plaintext = self._cipher(version).decrypt(nonce, sealed, _utf8(context))
        except InvalidTag:
            # Name only the kind of place: the rest of the context may identify a person.
            where = context.split(":", maxsplit=1)[0] or "an empty context"
            raise SealError(
                f"a sealed value does not open for {where}: it was altered, moved from "
                "another row or column, or sealed under another instance's keys"
            ) from None
        return plaintext.decode("utf-8", "surrogatepass")

    def needs_reseal(self, token: str) -> bool:
        """Whether ``token`` was sealed under an older KEK version than the current one."""
        self._keks.refresh()
        return _parse_token(token)[0] < self._keks.current_version

    def lookup_hash(self, material: bytes) -> str:
        """Return the keyed hash (HMAC-SHA256, hex) that finds an account by its document."""
        return hmac.new(self._lookup_key, material, hashlib.sha256).hexdigest()


# --- sealing under a learner's own data key ---------------------------------------------------

KEY_SEAL_PREFIX = "k1."


def seal_with_key(key: bytes, plaintext: str, *, context: str) -> str:
    """Seal under a learner's data key: ``k1.<nonce>.<ciphertext and tag>``, bound to context."""
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(key).encrypt(nonce, _utf8(plaintext), _utf8(context))
    return f"{KEY_SEAL_PREFIX}{_b64(nonce)}.{_b64(sealed)}"


def open_with_key(key: bytes, token: str, *, context: str) -> str:
    """Open a value :func:`seal_with_key` sealed; SealError if altered, moved or malformed."""
    nonce_text, _, body = token.removeprefix(KEY_SEAL_PREFIX).partition(".")
    try:
        nonce, sealed = _unb64(nonce_text), _unb64(body)
        plain = AESGCM(key).decrypt(nonce, sealed, _utf8(context))
    except (InvalidTag, ValueError, binascii.Error):
        where = context.split(":", maxsplit=1)[0]
        raise SealError(
            f"a value sealed under a learner's key does not open for {where}: altered or moved"
        ) from None
    return plain.decode("utf-8", "surrogatepass")
