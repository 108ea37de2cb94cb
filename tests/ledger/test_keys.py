"""The log's keyring: files outside the database, private, optionally passphrase-protected."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from creditbank.errors import SigningKeyError
from creditbank.ledger.keys import Keyring


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_private_files(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    keyring = Keyring.create(directory, "log.example", None)
    assert _mode(directory) == 0o700
    files = sorted(p for p in directory.iterdir() if not p.name.startswith("."))
    assert files
    assert all(_mode(path) == 0o600 for path in files)
    reopened = Keyring.open(directory, None)
    assert reopened.current.verifier == keyring.current.verifier
    assert reopened.current.sign(b"x") == keyring.current.sign(b"x")


def test_passphrase_protects_the_key(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    Keyring.create(directory, "log.example", b"correct horse battery")
    pem = next(directory.glob("*.pem")).read_bytes()
    assert b"ENCRYPTED" in pem
    assert Keyring.open(directory, b"correct horse battery").current.name == "log.example"
    with pytest.raises(SigningKeyError):
        Keyring.open(directory, b"wrong passphrase here")
    with pytest.raises(SigningKeyError):
        Keyring.open(directory, None)


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    Keyring.create(directory, "log.example", None)
    pem = next(directory.glob("*.pem"))
    pem.chmod(0o644)
    with pytest.raises(SigningKeyError, match=str(pem.name)):
        Keyring.open(directory, None)


def test_rotate_and_retire(tmp_path: Path) -> None:
    keyring = Keyring.create(tmp_path / "keys", "log.example", None)
    first = keyring.current
    second = keyring.rotate()
    assert keyring.current.key_id == second.key_id != first.key_id
    assert [s.key_id for s in keyring.signers()] == [second.key_id, first.key_id]
    keyring.retire(first.key_id.hex())
    assert [s.key_id for s in keyring.signers()] == [second.key_id]
    # A retired key still verifies what it signed.
    assert [v.key_id for v in keyring.verifiers()] == [second.key_id, first.key_id]
    reopened = Keyring.open(tmp_path / "keys", None)
    assert [s.key_id for s in reopened.signers()] == [second.key_id]
    with pytest.raises(SigningKeyError, match="only active key"):
        reopened.retire(second.key_id.hex())
    with pytest.raises(SigningKeyError, match="already retired"):
        reopened.retire(first.key_id.hex())


def test_create_twice_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    Keyring.create(directory, "log.example", None)
    with pytest.raises(SigningKeyError, match="already exists"):
        Keyring.create(directory, "log.example", None)


def test_a_rotation_elsewhere_is_seen(tmp_path: Path) -> None:
    # A worker's keyring picks up a rotation made by the command line in another process,
    # and a rotation from a handle opened earlier keeps the other one's key.
    directory = tmp_path / "keys"
    worker = Keyring.create(directory, "log.example", None)
    first = worker.current
    second = Keyring.open(directory, None).rotate()
    assert [s.key_id for s in worker.signers()] == [second.key_id, first.key_id]
    third = worker.rotate()
    assert [v.key_id for v in Keyring.open(directory, None).verifiers()] == [
        third.key_id,
        second.key_id,
        first.key_id,
    ]


def test_missing_keyring(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="missing"):
        Keyring.open(tmp_path, None)
