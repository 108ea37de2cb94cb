"""C2SP tlog-cosignature v1: key ids, the signed message, the line format, and the vectors."""

from __future__ import annotations

import base64
import hashlib
import json
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.errors import CosignatureInvalid, NoteError
from creditbank.ledger.note import NoteSigner, key_id, parse_note, parse_verifier_key
from creditbank.witness.cosignature import (
    Cosigner,
    CosignerKey,
    cosigned_message,
    parse_cosignature,
    parse_cosigner_key,
)
from tests.shared_vectors import requires_shared, shared_dir

BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SEED = bytes(range(32))


def _cosigner() -> Cosigner:
    return Cosigner("witness.example.com/w1", Ed25519PrivateKey.from_private_bytes(SEED))


def test_key_id_is_sha256_of_name_newline_0x04_and_key() -> None:
    cosigner = _cosigner()
    public = cosigner.key.public_bytes
    # The spec's formula, written out: SHA-256(<name> || "\n" || 0x04 || public key)[:4].
    expected = hashlib.sha256(b"witness.example.com/w1\n\x04" + public).digest()[:4]
    assert cosigner.key.key_id == expected
    # The same key as a plain note key (type 0x01) has another id, so they never collide.
    assert expected != key_id("witness.example.com/w1", public)


def test_vkey_round_trip_and_type_byte() -> None:
    key = _cosigner().key
    vkey = key.verifier_key()
    name, hex_id, encoded = vkey.split("+", 2)
    assert (name, hex_id) == ("witness.example.com/w1", key.key_id.hex())
    assert base64.b64decode(encoded) == b"\x04" + key.public_bytes
    assert parse_cosigner_key(vkey) == key
    # A note vkey (type 0x01) is not a cosigner key, nor the other way round.
    note_vkey = NoteSigner("witness.example.com/w1", Ed25519PrivateKey.from_private_bytes(SEED))
    with pytest.raises(NoteError, match="type 0x01 is not 0x04"):
        parse_cosigner_key(note_vkey.verifier.verifier_key())
    with pytest.raises(NoteError, match="type 0x04 is not 0x01"):
        parse_verifier_key(vkey)
    # A vkey whose id was computed with type 0x01 does not parse as a cosigner key.
    wrong_id = f"{name}+{note_vkey.key_id.hex()}+{encoded}"
    with pytest.raises(NoteError, match="does not match"):
        parse_cosigner_key(wrong_id)


def test_signed_message_is_header_time_and_body() -> None:
    # The spec's example message, byte for byte.
    assert cosigned_message(BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n"
        b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    with pytest.raises(NoteError):
        cosigned_message(BODY, 2**63)
    with pytest.raises(NoteError):
        cosigned_message(BODY.rstrip("\n"), 1)


def test_signature_line_is_key_id_timestamp_and_ed25519_signature() -> None:
    cosigner = _cosigner()
    line = cosigner.cosign(BODY, 1679315147).line()
    assert line.startswith("\u2014 witness.example.com/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split()[-1])
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == cosigner.key.key_id
    assert struct.unpack(">Q", raw[4:12]) == (1679315147,)
    # The last 64 bytes are a plain Ed25519 signature over the spec's message.
    cosigner.key.public_key.verify(raw[12:], cosigned_message(BODY, 1679315147))
    # Ed25519 is deterministic: the same key, body and time give the same line.
    assert cosigner.cosign(BODY, 1679315147).line() == line


def test_verify_checks_body_time_and_shape() -> None:
    cosigner = _cosigner()
    signature = cosigner.cosign(BODY, 1700000000).note_signature()
    assert cosigner.key.verify(BODY, signature).timestamp == 1700000000
    with pytest.raises(CosignatureInvalid, match="does not verify"):
        cosigner.key.verify(BODY.replace("20852163", "20852164"), signature)
    moved = type(signature)(
        signature.name, signature.key_id, struct.pack(">Q", 1700000001) + signature.signature[8:]
    )
    with pytest.raises(CosignatureInvalid, match="does not verify"):
        cosigner.key.verify(BODY, moved)
    short = type(signature)(signature.name, signature.key_id, signature.signature[8:])
    with pytest.raises(CosignatureInvalid, match="cosignature/v1 is 4 \\+ 72"):
        cosigner.key.verify(BODY, short)
    other = CosignerKey.for_key("witness.example.com/w2", cosigner.key.public_key)
    with pytest.raises(CosignatureInvalid, match="is not by"):
        other.verify(BODY, signature)


@requires_shared
def test_spec_example_cosignature_line_parses() -> None:
    text = (shared_dir() / "vectors" / "c2sp" / "tlog-cosignature-example.note").read_text()
    note = parse_note(text)
    assert note.text == BODY
    log_line, witness_line = note.signatures
    assert witness_line.name == "witness.example.com/w1"
    cosignature = parse_cosignature(witness_line)
    # The spec's example message is dated 1679315147: the example line carries that time.
    assert cosignature.timestamp == 1679315147
    assert cosignature.key_id == witness_line.key_id and len(cosignature.signature) == 64
    assert cosignature.line() == f"\u2014 {witness_line.name} {text.split()[-1]}\n"
    # The log's own line is a plain signature (4 + 64 bytes), not a cosignature.
    with pytest.raises(NoteError, match="cosignature/v1"):
        parse_cosignature(log_line)


@requires_shared
def test_transparency_dev_timestamp_vectors() -> None:
    path = shared_dir() / "vectors" / "signed-note" / "tlog-cosignature-timestamp-parse.json"
    vectors = json.loads(path.read_text(encoding="utf-8"))
    for case in vectors["cases"]:
        line = f"\u2014 witness {case['signature_base64']}\n"
        signature = parse_note(BODY + "\n" + line).signatures[0]
        if case["expect_error"]:
            with pytest.raises(NoteError):
                parse_cosignature(signature)
        else:
            assert parse_cosignature(signature).timestamp == case["expect_timestamp"]
