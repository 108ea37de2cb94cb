"""Signed notes: the Go sumdb known answer and the C2SP example, read in place, plus grammar."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from creditbank.errors import NoteError
from creditbank.ledger.note import (
    NoteSigner,
    add_signatures,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)
from tests.shared_vectors import requires_shared, shared_dir


def _vector(name: str) -> dict[str, Any]:
    path = shared_dir() / "vectors" / "signed-note" / name
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@requires_shared
def test_go_sumdb_known_answer() -> None:
    vector = _vector("go-sumdb-note-peterneumann.json")
    signer = parse_signer_key(vector["signer_key"])
    verifier = parse_verifier_key(vector["verifier_key"])
    assert signer.key_id.hex() == "c74f20a3" == verifier.key_id.hex()
    assert signer.verifier.verifier_key() == vector["verifier_key"]
    assert signer.signer_key() == vector["signer_key"]
    # Ed25519 is deterministic: signing the text must give the published note byte for byte.
    assert sign_note(vector["text"], [signer]) == vector["signed_note"]
    note, verified = open_note(vector["signed_note"], [verifier])
    assert note.text == vector["text"]
    assert verified == (verifier,)


@requires_shared
def test_c2sp_example_verifies() -> None:
    vector = _vector("c2sp-signed-note-example.json")
    verifier = parse_verifier_key(vector["verifier_key"])
    assert verifier.key_id.hex() == "530d903a"
    note, verified = open_note(vector["signed_note"], [verifier])
    assert note.text == "This is an example message.\n"
    assert verified == (verifier,)


@requires_shared
def test_altered_text_or_signature_is_refused() -> None:
    vector = _vector("go-sumdb-note-peterneumann.json")
    verifier = parse_verifier_key(vector["verifier_key"])
    signed: str = vector["signed_note"]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(signed.replace("cryptography", "Cryptography"), [verifier])
    note = parse_note(signed)
    raw = bytearray(note.signatures[0].key_id + note.signatures[0].signature)
    raw[10] ^= 0x01
    forged = note.text + "\n— PeterNeumann " + base64.b64encode(bytes(raw)).decode() + "\n"
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, [verifier])


def test_key_id_is_the_first_four_bytes_of_the_named_key_hash() -> None:
    signer = NoteSigner.generate("creditbank.example/log")
    public = signer.verifier.public_bytes
    digest = hashlib.sha256(b"creditbank.example/log\n\x01" + public).digest()
    assert key_id("creditbank.example/log", public) == digest[:4] == signer.key_id


def test_several_signatures_and_unknown_keys() -> None:
    first, second, witness = (NoteSigner.generate(n) for n in ("log", "log", "witness.example"))
    signed = sign_note("log\n5\nAAAA\n", [first, second])
    assert len(parse_note(signed).signatures) == 2
    # A verifier that knows only the older key still accepts it; the other line is ignored.
    _, verified = open_note(signed, [second.verifier])
    assert verified == (second.verifier,)
    cosigned = add_signatures(signed, [witness, first])  # first already signed: not repeated
    assert len(parse_note(cosigned).signatures) == 3
    _, verified = open_note(cosigned, [first.verifier, witness.verifier])
    assert set(verified) == {first.verifier, witness.verifier}
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(signed, [witness.verifier])


def test_private_key_is_not_shown() -> None:
    signer = NoteSigner.generate("log")
    assert "PRIVATE" not in repr(signer)
    assert signer.signer_key().startswith("PRIVATE+KEY+log+")


@pytest.mark.parametrize(
    ("signed", "reason"),
    [
        ("text\n— log AAAA\n", "no blank line"),
        ("text\n\n", "no signature lines"),
        ("text\n\n— log AAAAAAAAAAAAAAAA", "does not end with a newline"),
        ("text\n\n- log AAAAAAAAAAAAAAAA\n", "em dash"),
        ("text\n\n— log\n", "no signature after the key name"),
        ("text\n\n— log !!!!\n", "base64"),
        ("text\n\n— log AAAA\n", "too short"),
        ("te\x01xt\n\n— log AAAAAAAAAAAAAAAA\n", "control"),
    ],
)
def test_grammar_errors_are_named(signed: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_note(signed)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("log+1234567+AQ==", "8 lowercase hex"),
        ("log+c74f20a3", "3 '\\+'-separated fields"),
        ("log+c74f20a3+AQ==", "1 \\+ 32 bytes"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", None),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
    ],
)
def test_verifier_key_errors(text: str, reason: str | None) -> None:
    if reason is None:
        assert parse_verifier_key(text).name == "PeterNeumann"
        return
    with pytest.raises(NoteError, match=reason):
        parse_verifier_key(text)
