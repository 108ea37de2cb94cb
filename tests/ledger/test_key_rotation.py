"""Key rotation statements: the old key vouches for the new, and nothing else passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from creditbank.errors import NoteError
from creditbank.ledger.key_rotation import (
    KeyRotation,
    follow_rotation,
    parse_rotation,
    rotation_statement,
)
from creditbank.ledger.keys import Keyring
from creditbank.ledger.note import NoteSignature, NoteSigner, parse_note, sign_note
from creditbank.ledger.store import read_openings
from creditbank.storage.database import read_connection
from creditbank.wiring import Services

ORIGIN = "bank.example/log"


def test_the_old_key_vouches_for_the_new() -> None:
    old, new = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    statement = rotation_statement(ORIGIN, old, new)
    assert parse_note(statement).text == (
        "creditbank key rotation v1\n"
        f"{ORIGIN}\n"
        f"old {old.verifier.verifier_key()}\n"
        f"new {new.verifier.verifier_key()}\n"
    )
    followed = follow_rotation(statement, [old.verifier], ORIGIN)
    assert followed.verifier_key() == new.verifier.verifier_key()


def test_only_a_trusted_old_key_of_the_same_log_counts() -> None:
    old, new, stranger = (NoteSigner.generate(ORIGIN) for _ in range(3))
    statement = rotation_statement(ORIGIN, old, new)
    with pytest.raises(NoteError, match="not a trusted key"):
        follow_rotation(statement, [stranger.verifier], ORIGIN)
    with pytest.raises(NoteError, match="is about"):
        follow_rotation(statement, [old.verifier], "other.example/log")


def test_both_keys_must_sign() -> None:
    old, new, impostor = (NoteSigner.generate(ORIGIN) for _ in range(3))
    text = KeyRotation(ORIGIN, old.verifier, new.verifier).to_text()
    with pytest.raises(NoteError, match="not signed by its new key"):
        follow_rotation(sign_note(text, [old]), [old.verifier], ORIGIN)
    # Someone holding only a new key cannot make the old key vouch for it.
    with pytest.raises(NoteError, match="not signed by its old key"):
        follow_rotation(sign_note(text, [new]), [old.verifier], ORIGIN)
    # A line under the old key's name and id, signed by another key, does not verify.
    line = NoteSignature(old.name, old.key_id, impostor.sign(text.encode("utf-8"))).line()
    with pytest.raises(NoteError, match="does not verify"):
        follow_rotation(sign_note(text, [new]) + line, [old.verifier], ORIGIN)


def test_malformed_statements_are_refused() -> None:
    old, new = NoteSigner.generate(ORIGIN), NoteSigner.generate("other.example/log")
    for text in (
        "something else\n",
        f"creditbank key rotation v1\n{ORIGIN}\nold {old.verifier.verifier_key()}\n",
        f"creditbank key rotation v1\n{ORIGIN}\nold {old.verifier.verifier_key()}\n"
        f"new {new.verifier.verifier_key()}\n",
        f"creditbank key rotation v1\n{ORIGIN}\nold {old.verifier.verifier_key()}\n"
        f"old {old.verifier.verifier_key()}\n",
    ):
        with pytest.raises(NoteError):
            parse_rotation(text)


def test_a_rotated_keyring_keeps_its_statements(tmp_path: Path) -> None:
    keyring = Keyring.create(tmp_path / "keys", ORIGIN, None)
    first = keyring.current
    second = keyring.rotate()
    third = keyring.rotate()
    reopened = Keyring.open(tmp_path / "keys", None)
    statements = reopened.rotation_statements()
    assert len(statements) == 2
    assert follow_rotation(statements[0], [first.verifier], ORIGIN) == second.verifier
    assert follow_rotation(statements[1], [second.verifier], ORIGIN) == third.verifier
    with pytest.raises(NoteError):
        follow_rotation(statements[1], [first.verifier], ORIGIN)  # a chain, link by link


def test_the_log_records_the_statement_of_each_rotation(services: Services) -> None:
    ledger = services.ledger
    first = ledger.keyring.current
    second = ledger.rotate_key(actor="operator:console")
    size = ledger.head().size
    with read_connection(services.engine) as connection:
        rotated = [
            json.loads(payload)
            for _salt, payload in read_openings(connection, range(size)).values()
            if b"statement" in payload
        ]
    assert len(rotated) == 1
    assert rotated[0]["verifier_key"] == second.verifier.verifier_key()
    assert follow_rotation(rotated[0]["statement"], [first.verifier], ledger.origin) == (
        second.verifier
    )
