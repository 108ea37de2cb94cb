"""A witness's own directory: its cosigning key, and per log the latest checkpoint it cosigned.

Nothing here touches the bank's database: a witness is another party, usually on another
machine, and what it remembers is the only thing that lets it notice a rewritten log.

Layout (files owner-only, folders 0700)::

    witness.json        name, key id and public key
    cosigner.pem        the Ed25519 private key (PKCS #8, encrypted with a passphrase if given)
    logs/<id>.json      per log origin: its pinned verifier keys and the latest cosigned checkpoint
    evidence/           every refused checkpoint, with the cosigned one it contradicts
    .lock               held while a checkpoint is checked and the state updated
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.errors import NoteError, SigningKeyError, WitnessError
from creditbank.ledger.note import NoteVerifier, check_key_name, parse_verifier_key
from creditbank.storage.private_files import (
    FILE_MODE,
    fsync_directory,
    make_private_directory,
    write_new_private,
)
from creditbank.witness.cosignature import Cosigner

WITNESS_FILE = "witness.json"
KEY_FILE = "cosigner.pem"
LOGS_DIR = "logs"
EVIDENCE_DIR = "evidence"
LOCK_FILE = ".lock"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Cosigned:
    """The latest checkpoint a witness cosigned for one log: size, root, note and time."""

    size: int
    root_hash: bytes
    note: str
    timestamp: int


@dataclass(frozen=True)
class LogState:
    """What a witness knows about one log: its origin, trusted keys and latest cosigned state."""

    origin: str
    log_keys: tuple[NoteVerifier, ...]
    cosigned: Cosigned | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the state file's content."""
        latest = self.cosigned
        return {
            "version": FORMAT_VERSION,
            "origin": self.origin,
            "log_keys": [key.verifier_key() for key in self.log_keys],
            "cosigned": None
            if latest is None
            else {
                "size": latest.size,
                "root_hash": base64.b64encode(latest.root_hash).decode("ascii"),
                "timestamp": latest.timestamp,
                "checkpoint": latest.note,
            },
        }


def _state_from_json(document: Any, path: Path) -> LogState:
    try:
        keys = tuple(parse_verifier_key(key) for key in document["log_keys"])
        latest = document["cosigned"]
        cosigned = (
            None
            if latest is None
            else Cosigned(
                size=int(latest["size"]),
                root_hash=base64.b64decode(latest["root_hash"], validate=True),
                note=str(latest["checkpoint"]),
                timestamp=int(latest["timestamp"]),
            )
        )
        return LogState(str(document["origin"]), keys, cosigned)
    except (KeyError, TypeError, ValueError, NoteError) as exc:
        raise WitnessError(f"witness state file {path} is damaged: {exc}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old or the new file, never half."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    write_new_private(temporary, data)
    os.replace(temporary, path)
    fsync_directory(path.parent)


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _log_file_name(origin: str) -> str:
    # Origins may hold '/' and other characters a file name cannot; a hash names the file.
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()[:24] + ".json"


class WitnessStore:
    """The witness directory: the cosigner and the per-log state, updated under a lock."""

    def __init__(self, directory: Path, cosigner: Cosigner) -> None:
        self.directory = directory
        self.cosigner = cosigner

    @classmethod
    def create(cls, directory: Path, name: str, passphrase: bytes | None = None) -> WitnessStore:
        """Create a witness directory with a fresh cosigning key named ``name``."""
        directory = Path(directory)
        if (directory / WITNESS_FILE).exists() or (directory / KEY_FILE).exists():
            raise WitnessError(f"a witness already exists in {directory}")
        try:
            check_key_name(name)
        except NoteError as exc:
            raise WitnessError(f"cannot name the witness {name!r}: {exc.detail}") from None
        cosigner = Cosigner.generate(name)
        make_private_directory(directory)
        make_private_directory(directory / LOGS_DIR)
        encryption: serialization.KeySerializationEncryption = (
            serialization.NoEncryption()
            if passphrase is None
            else serialization.BestAvailableEncryption(passphrase)
        )
        pem = cosigner.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        write_new_private(directory / KEY_FILE, pem)
        info = {
            "version": FORMAT_VERSION,
            "name": name,
            "verifier_key": cosigner.key.verifier_key(),
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }
        _write_atomically(directory / WITNESS_FILE, _json_bytes(info))
        return cls(directory, cosigner)

    @classmethod
    def open(cls, directory: Path, passphrase: bytes | None = None) -> WitnessStore:
        """Open an existing witness directory and load its key."""
        directory = Path(directory)
        info_path = directory / WITNESS_FILE
        if not info_path.is_file():
            raise WitnessError(
                f"no witness in {directory}: run 'creditbank witness init --dir {directory}'"
            )
        mode = (directory / KEY_FILE).stat().st_mode & 0o777
        if mode & 0o077:
            raise SigningKeyError(
                f"witness key {directory / KEY_FILE} has mode {mode:04o}; "
                f"fix it with: chmod 600 {directory / KEY_FILE}"
            )
        info = json.loads(info_path.read_text(encoding="utf-8"))
        try:
            private = serialization.load_pem_private_key(
                (directory / KEY_FILE).read_bytes(), password=passphrase
            )
        except (TypeError, ValueError):
            raise SigningKeyError(
                f"cannot read the witness key in {directory}: wrong or missing passphrase"
            ) from None
        if not isinstance(private, Ed25519PrivateKey):
            raise SigningKeyError(f"the witness key in {directory} is not an Ed25519 key")
        cosigner = Cosigner(str(info["name"]), private)
        if cosigner.key.verifier_key() != info.get("verifier_key"):
            raise SigningKeyError(f"{info_path} does not describe the key in {KEY_FILE}")
        return cls(directory, cosigner)

    # --- per-log state ---------------------------------------------------------------------

    def _log_path(self, origin: str) -> Path:
        return self.directory / LOGS_DIR / _log_file_name(origin)

    def load(self, origin: str) -> LogState | None:
        """Return the state kept for ``origin``, or None for a log never seen."""
        path = self._log_path(origin)
        if not path.is_file():
            return None
        state = _state_from_json(json.loads(path.read_text(encoding="utf-8")), path)
        if state.origin != origin:
            raise WitnessError(f"witness state file {path} is for {state.origin!r}, not {origin!r}")
        return state

    def save(self, state: LogState) -> None:
        """Persist ``state`` (atomically, flushed to disk); call it while holding :meth:`locked`."""
        make_private_directory(self.directory / LOGS_DIR)
        _write_atomically(self._log_path(state.origin), _json_bytes(state.to_json()))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the witness lock: checking against the state and updating it is one step."""
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def keep_evidence(self, origin: str, text: str) -> Path:
        """Write what a refused checkpoint looked like next to what it contradicts; return it."""
        folder = self.directory / EVIDENCE_DIR
        make_private_directory(folder)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"{stamp}-{_log_file_name(origin)[:12]}.txt"
        write_new_private(path, text.encode("utf-8"))
        return path
