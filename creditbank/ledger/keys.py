"""The log's note signing keys, kept on disk outside the database.

A keyring directory holds one PKCS #8 PEM file per key (``<seq>-<hex key id>.pem``,
passphrase-encrypted when a passphrase is given) and ``keyring.json``, which lists every key
ever used in creation order. Retired keys stay listed so old checkpoints still verify.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from creditbank.errors import NoteError, SigningKeyError
from creditbank.ledger.key_rotation import rotation_statement
from creditbank.ledger.note import NoteSigner, NoteVerifier, key_id
from creditbank.storage.private_files import (
    FILE_MODE,
    fsync_directory,
    make_private_directory,
    write_new_private,
)

KEYRING_FILE = "keyring.json"
LOCK_FILE = ".lock"
FORMAT_VERSION = 1


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class KeyInfo:
    """What keyring.json records about one key (never the private half)."""

    seq: int
    name: str
    key_id: bytes
    public_key: bytes
    created_at: datetime
    retired_at: datetime | None = None
    # The statement the previous key signed when this one replaced it (see key_rotation.py).
    statement: str | None = None

    @property
    def active(self) -> bool:
        """Whether the key still signs."""
        return self.retired_at is None

    @property
    def filename(self) -> str:
        """The PEM file of the private key."""
        return f"{self.seq:04d}-{self.key_id.hex()}.pem"

    @property
    def verifier(self) -> NoteVerifier:
        """The note verifier of this key."""
        public_key = Ed25519PublicKey.from_public_bytes(self.public_key)
        return NoteVerifier(self.name, self.key_id, public_key)

    def to_json(self) -> dict[str, Any]:
        """Return the keyring.json entry."""
        return {
            "seq": self.seq,
            "name": self.name,
            "key_id": self.key_id.hex(),
            "public_key": base64.b64encode(self.public_key).decode("ascii"),
            "created_at": _timestamp(self.created_at),
            "retired_at": None if self.retired_at is None else _timestamp(self.retired_at),
            **({} if self.statement is None else {"statement": self.statement}),
        }


def _field(entry: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = entry.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SigningKeyError(f"{where}: field {name!r} is missing or not a {kind.__name__}")
    return value


def _parse_time(value: Any, name: str, where: str) -> datetime:
    if not isinstance(value, str):
        raise SigningKeyError(f"{where}: field {name!r} is missing or not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SigningKeyError(f"{where}: {name} {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise SigningKeyError(f"{where}: {name} {value!r} has no time zone")
    return moment.astimezone(UTC)


def _parse_entry(entry: Any, position: int) -> KeyInfo:
    where = f"{KEYRING_FILE} key #{position}"
    if not isinstance(entry, dict):
        raise SigningKeyError(f"{where} is not an object")
    seq = _field(entry, "seq", int, where)
    if seq != position:
        raise SigningKeyError(f"{where}: seq {seq} is out of order")
    name = _field(entry, "name", str, where)
    try:
        public_key = base64.b64decode(_field(entry, "public_key", str, where), validate=True)
        claimed_id = bytes.fromhex(_field(entry, "key_id", str, where))
    except (binascii.Error, ValueError):
        raise SigningKeyError(f"{where}: public_key or key_id is not well encoded") from None
    if len(public_key) != 32:
        raise SigningKeyError(f"{where}: public key is {len(public_key)} bytes, not 32")
    try:
        actual_id = key_id(name, public_key)
    except NoteError as exc:
        raise SigningKeyError(f"{where}: {exc.detail}") from None
    if claimed_id != actual_id:
        raise SigningKeyError(f"{where}: key id {claimed_id.hex()} does not match its public key")
    retired_raw = entry.get("retired_at")
    retired_at = None if retired_raw is None else _parse_time(retired_raw, "retired_at", where)
    created_at = _parse_time(entry.get("created_at"), "created_at", where)
    statement = entry.get("statement")
    if statement is not None and not isinstance(statement, str):
        raise SigningKeyError(f"{where}: statement is not a string")
    return KeyInfo(seq, name, claimed_id, public_key, created_at, retired_at, statement)


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        kind = "directory" if path.is_dir() else "file"
        fix = "700" if path.is_dir() else "600"
        raise SigningKeyError(
            f"log key {kind} {path} has mode {mode:04o}, open to group or others; "
            f"fix it with: chmod {fix} {path}"
        )


class Keyring:
    """The log's signing keys in one directory: create, open, rotate and retire."""

    def __init__(
        self,
        directory: Path,
        passphrase: bytes | None,
        keys: list[KeyInfo],
        private: dict[bytes, Ed25519PrivateKey],
    ) -> None:
        self.directory = directory
        self._passphrase = passphrase
        self._keys = keys
        self._private = private
        self._stamp = _stamp(directory)

    def __repr__(self) -> str:
        return f"Keyring({str(self.directory)!r}, {len(self._keys)} keys)"

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, name: str, passphrase: bytes | None) -> Keyring:
        """Create a keyring holding one fresh key named ``name`` (usually the log origin)."""
        _check_passphrase(passphrase)
        directory = Path(directory)
        if (directory / KEYRING_FILE).exists():
            raise SigningKeyError(f"a keyring already exists in {directory}")
        if directory.is_dir() and any(directory.glob("*.pem")):
            raise SigningKeyError(
                f"{directory} holds key files but no {KEYRING_FILE}; move them away first"
            )
        try:
            signer = NoteSigner.generate(name)
        except NoteError as exc:
            raise SigningKeyError(f"cannot name the log key {name!r}: {exc.detail}") from None
        make_private_directory(directory)
        keyring = cls(directory, passphrase, [], {})
        with keyring._locked():
            keyring._add(signer)
        return keyring

    @classmethod
    def open(cls, directory: Path, passphrase: bytes | None) -> Keyring:
        """Open an existing keyring, checking permissions, the passphrase and every key."""
        _check_passphrase(passphrase)
        directory = Path(directory)
        if not (directory / KEYRING_FILE).is_file():
            raise SigningKeyError(f"no keyring in {directory}: {KEYRING_FILE} is missing")
        _check_private(directory)
        keys, private = _load_all(directory, passphrase)
        return cls(directory, passphrase, keys, private)

    def refresh(self) -> None:
        """Reload the keys if another process rotated or retired one since we read them."""
        stamp = _stamp(self.directory)
        if stamp != self._stamp:
            self._keys, self._private = _load_all(self.directory, self._passphrase)
            self._stamp = stamp

    # --- reading ----------------------------------------------------------------------------

    def keys(self) -> list[KeyInfo]:
        """Return every key ever used, in creation order."""
        self.refresh()
        return list(self._keys)

    def signers(self) -> list[NoteSigner]:
        """Return the active keys, newest first."""
        self.refresh()
        return [self._signer(info) for info in reversed(self._keys) if info.active]

    def verifiers(self) -> list[NoteVerifier]:
        """Return the verifiers of every key ever used, newest first."""
        self.refresh()
        return [info.verifier for info in reversed(self._keys)]

    @property
    def current(self) -> NoteSigner:
        """The newest active key."""
        return self.signers()[0]

    def verifier_keys_text(self) -> str:
        """Return one verifier key per line, newest first."""
        return "".join(verifier.verifier_key() + "\n" for verifier in self.verifiers())

    def _signer(self, info: KeyInfo) -> NoteSigner:
        return NoteSigner(info.name, self._private[info.key_id])

    # --- changing ---------------------------------------------------------------------------

    def rotate(self) -> NoteSigner:
        """Add a fresh key under the current name and make it current; older keys still sign.

        The current key signs a statement that the new one follows it (with the new key), so
        witnesses that trust the old key follow the rotation by themselves.
        """
        with self._locked():
            old = self.current
            new = NoteSigner.generate(old.name)
            return self._add(new, statement=rotation_statement(old.name, old, new))

    def rotation_statements(self) -> list[str]:
        """Every key rotation statement, oldest first."""
        return [info.statement for info in self.keys() if info.statement is not None]

    def retire(self, key_id_hex: str) -> KeyInfo:
        """Stop signing with a key; it stays listed so old checkpoints still verify."""
        with self._locked():
            matches = [i for i, info in enumerate(self._keys) if info.key_id.hex() == key_id_hex]
            if not matches:
                raise SigningKeyError(f"no key with id {key_id_hex!r} in {self.directory}")
            position = matches[-1]
            info = self._keys[position]
            if not info.active:
                raise SigningKeyError(f"key {key_id_hex} is already retired")
            if len(self.signers()) == 1:
                raise SigningKeyError(
                    f"key {key_id_hex} is the only active key; rotate before retiring it"
                )
            retired = replace(info, retired_at=_now())
            keys = list(self._keys)
            keys[position] = retired
            self._save(keys)
            self._keys = keys
            self._stamp = _stamp(self.directory)
            return retired

    def _add(self, signer: NoteSigner, *, statement: str | None = None) -> NoteSigner:
        info = KeyInfo(
            seq=len(self._keys) + 1,
            name=signer.name,
            key_id=signer.key_id,
            public_key=signer.verifier.public_bytes,
            created_at=_now(),
            statement=statement,
        )
        encryption: serialization.KeySerializationEncryption = (
            serialization.NoEncryption()
            if self._passphrase is None
            else serialization.BestAvailableEncryption(self._passphrase)
        )
        pem = signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        # The key file first: keyring.json is the commit point that makes the key live.
        write_new_private(self.directory / info.filename, pem)
        keys = [*self._keys, info]
        self._save(keys)
        self._keys = keys
        self._private[info.key_id] = signer.private_key
        self._stamp = _stamp(self.directory)
        return signer

    def _save(self, keys: list[KeyInfo]) -> None:
        document = {"version": FORMAT_VERSION, "keys": [info.to_json() for info in keys]}
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        temporary = self.directory / f".{KEYRING_FILE}.tmp"
        temporary.unlink(missing_ok=True)
        write_new_private(temporary, data)
        os.replace(temporary, self.directory / KEYRING_FILE)
        fsync_directory(self.directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the directory lock, working from what is on disk now.

        Another process may have rotated a key since this one read the keyring.
        """
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if self._keys:
                self.refresh()
            yield
        finally:
            os.close(fd)


def _stamp(directory: Path) -> tuple[int, int, int]:
    # keyring.json is replaced (new inode) on every change, so this is a cheap change check
    # that lets long-running workers pick up a rotation made by the command line.
    try:
        info = (directory / KEYRING_FILE).stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _load_all(
    directory: Path, passphrase: bytes | None
) -> tuple[list[KeyInfo], dict[bytes, Ed25519PrivateKey]]:
    keys = _read_keys(directory)
    private: dict[bytes, Ed25519PrivateKey] = {}
    for info in keys:
        path = directory / info.filename
        if not path.exists() and not info.active:
            # A retired key's private half may be deleted; its public half is listed.
            continue
        private[info.key_id] = _load_private(path, info, passphrase)
    return keys, private


def _check_passphrase(passphrase: bytes | None) -> None:
    if passphrase is not None and not passphrase:
        raise SigningKeyError("the key passphrase is empty; give none or a non-empty one")


def _read_keys(directory: Path) -> list[KeyInfo]:
    path = directory / KEYRING_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SigningKeyError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SigningKeyError(f"{path} is not valid JSON") from None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise SigningKeyError(f"{path} is not a version {FORMAT_VERSION} keyring")
    entries = document.get("keys")
    if not isinstance(entries, list) or not entries:
        raise SigningKeyError(f"{path} lists no keys")
    keys = [_parse_entry(entry, position) for position, entry in enumerate(entries, 1)]
    if not any(info.active for info in keys):
        raise SigningKeyError(f"{path} has no active key")
    return keys


def _load_private(path: Path, info: KeyInfo, passphrase: bytes | None) -> Ed25519PrivateKey:
    try:
        _check_private(path)
        pem = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"log key file {path} is missing") from None
    except OSError as exc:
        raise SigningKeyError(f"cannot read log key file {path}: {exc.strerror}") from None
    encrypted = b"ENCRYPTED PRIVATE KEY" in pem
    if encrypted and passphrase is None:
        raise SigningKeyError(f"log key {path} is encrypted: a passphrase is required")
    if not encrypted and passphrase is not None:
        raise SigningKeyError(f"log key {path} is not encrypted but a passphrase was given")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except ValueError:
        detail = "wrong passphrase or damaged key" if encrypted else "damaged key"
        raise SigningKeyError(f"cannot load log key {path}: {detail}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"log key {path} is not an Ed25519 key")
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if public != info.public_key:
        raise SigningKeyError(
            f"log key {path} does not match the public key {KEYRING_FILE} lists for it"
        )
    return key
