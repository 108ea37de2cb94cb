"""C2SP tlog-checkpoint bodies: the spec's example, strict parsing and signing."""

from __future__ import annotations

import base64

import pytest

from creditbank.errors import NoteError
from creditbank.ledger.checkpoint import (
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from creditbank.ledger.note import NoteSigner, parse_note
from tests.shared_vectors import requires_shared, shared_dir

ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()


@requires_shared
@pytest.mark.parametrize("name", ["tlog-checkpoint-example.note", "tlog-cosignature-example.note"])
def test_spec_examples_parse(name: str) -> None:
    text = (shared_dir() / "vectors" / "c2sp" / name).read_text(encoding="utf-8")
    note = parse_note(text)
    checkpoint = parse_checkpoint(note.text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert base64.b64encode(checkpoint.root_hash).decode() == (
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    )
    assert checkpoint.to_text() == note.text
    assert note.signatures[0].name == "example.com/behind-the-sofa"


def test_round_trip_with_extensions() -> None:
    checkpoint = Checkpoint("creditbank.example/log", 42, ROOT, ("Timestamp: 1",))
    assert parse_checkpoint(checkpoint.to_text()) == checkpoint
    assert checkpoint.to_text() == f"creditbank.example/log\n42\n{ROOT_B64}\nTimestamp: 1\n"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"log\n042\n{ROOT_B64}\n", "leading zeros"),
        (f"log\n-1\n{ROOT_B64}\n", "not a decimal"),
        (f"log\n+1\n{ROOT_B64}\n", "not a decimal"),
        (f"log\n18446744073709551616\n{ROOT_B64}\n", "64 bits"),
        ("log\n1\nAAAA\n", "decodes to 3 bytes"),
        ("log\n1\n!!\n", "not valid base64"),
        (f"log\n1\n{ROOT_B64}\n\nextra\n", "empty"),
        ("log\n1\n", "needs origin, tree size and root"),
        (f"\n1\n{ROOT_B64}\n", "origin"),
    ],
)
def test_bad_bodies_are_named(body: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_checkpoint(body)


def test_sign_and_open() -> None:
    log_key, old_key = NoteSigner.generate("log.example"), NoteSigner.generate("log.example")
    stranger = NoteSigner.generate("other.example")
    signed = sign_checkpoint(Checkpoint("log.example", 7, ROOT), [log_key, old_key])
    checkpoint, verified = open_checkpoint(signed, [old_key.verifier], "log.example")
    assert (checkpoint.size, checkpoint.root_hash, verified) == (7, ROOT, (old_key.verifier,))
    with pytest.raises(NoteError, match=r"is not 'other\.example'"):
        open_checkpoint(signed, [log_key.verifier], "other.example")
    with pytest.raises(NoteError, match="named after the origin"):
        sign_checkpoint(Checkpoint("log.example", 7, ROOT), [stranger])
    # A signature only by a key with another name (a witness) does not make a checkpoint.
    witnessed = sign_checkpoint(Checkpoint("other.example", 1, ROOT), [stranger, log_key])
    with pytest.raises(NoteError, match="named after the origin"):
        open_checkpoint(witnessed, [log_key.verifier])
