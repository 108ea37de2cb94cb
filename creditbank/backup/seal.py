"""The manifest's seal: a signed note, by the log's keys, over the manifest's SHA-256.

The manifest lists each file's SHA-256, so sealing it binds every file: whoever alters a
file and rewrites the manifest to match still cannot sign it without the log's private key.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from creditbank.backup.manifest import MANIFEST
from creditbank.errors import BackupError, CreditbankError
from creditbank.ledger.keys import Keyring
from creditbank.ledger.note import open_note, sign_note

SEAL = "manifest.sig"
_HEADER = "creditbank backup manifest"


def _text(origin: str, manifest: bytes) -> str:
    return f"{_HEADER}\n{origin}\nsha256 {hashlib.sha256(manifest).hexdigest()}\n"


def write_seal(directory: Path, keyring: Keyring, origin: str) -> None:
    """Sign the manifest in ``directory`` with every active log key."""
    note = sign_note(_text(origin, (directory / MANIFEST).read_bytes()), keyring.signers())
    (directory / SEAL).write_text(note, encoding="utf-8")


def check_seal(directory: Path, keyring: Keyring, origin: str) -> None:
    """Refuse the backup unless the log's keys signed exactly this manifest."""
    path = directory / SEAL
    if not path.is_file():
        raise BackupError(f"{directory} has no {SEAL}: the manifest is not sealed")
    try:
        note, verified = open_note(path.read_text(encoding="utf-8"), keyring.verifiers())
    except CreditbankError as exc:
        raise BackupError(
            f"{SEAL} is not signed by this instance's log keys ({exc.detail}): restore the "
            "instance's keys/ folder from the key backup first"
        ) from None
    if not any(verifier.name == origin for verifier in verified):
        raise BackupError(f"{SEAL} is not signed by a key of log {origin!r}")
    if note.text != _text(origin, (directory / MANIFEST).read_bytes()):
        raise BackupError(f"{MANIFEST} differs from the one {SEAL} signed: it was altered")
