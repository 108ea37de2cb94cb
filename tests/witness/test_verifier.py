"""verify_cosigned_checkpoint: the log's signature, the trusted witnesses, and the quorum."""

from __future__ import annotations

import pytest

from creditbank.errors import CosignatureInvalid, InvalidInput, NoteError, WitnessQuorumNotMet
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from creditbank.ledger.note import NoteSignature, NoteSigner
from creditbank.witness.cosignature import Cosigner
from creditbank.witness.verifier import verify_cosigned_checkpoint

ORIGIN = "bank.example/log"
LOG = NoteSigner.generate(ORIGIN)
W1 = Cosigner.generate("w1.example/w")
W2 = Cosigner.generate("w2.example/w")
W3 = Cosigner.generate("w3.example/w")
NOTE = sign_checkpoint(Checkpoint(ORIGIN, 42, bytes(range(32))), [LOG])
BODY = NOTE.split("\n\n")[0] + "\n"


def test_reports_which_trusted_witnesses_cosigned_and_when() -> None:
    # W3 is not trusted by this verifier: its line is ignored, as signed notes require.
    note = NOTE + W2.cosign(BODY, 1_700_000_002).line() + W3.cosign(BODY, 5).line()
    note += W1.cosign(BODY, 1_700_000_001).line()
    checked = verify_cosigned_checkpoint(
        note, LOG.verifier.verifier_key(), [W1.key, W2.key.verifier_key()], require=2
    )
    assert checked.checkpoint.size == 42 and checked.log_keys == (LOG.verifier,)
    assert [(c.name, c.timestamp) for c in checked.cosigners] == [
        ("w1.example/w", 1_700_000_001),
        ("w2.example/w", 1_700_000_002),
    ]
    assert checked.cosigners[0].time.isoformat() == "2023-11-14T22:13:21+00:00"
    assert checked.cosigners[0].key_id == W1.key.key_id


def test_requiring_two_with_one_cosignature_fails_naming_the_check() -> None:
    note = NOTE + W1.cosign(BODY, 1_700_000_000).line()
    with pytest.raises(WitnessQuorumNotMet) as failed:
        verify_cosigned_checkpoint(note, LOG.verifier, [W1.key, W2.key], require=2)
    assert failed.value.extra["check"] == "witness cosignatures"
    assert failed.value.detail == (f"witness cosignatures: 2 required, 1 verified ({W1.key.label})")
    # The same witness twice is still one witness.
    twice = note + W1.cosign(BODY, 1_700_000_009).line()
    with pytest.raises(WitnessQuorumNotMet):
        verify_cosigned_checkpoint(twice, LOG.verifier, [W1.key, W2.key], require=2)
    assert verify_cosigned_checkpoint(note, LOG.verifier, [W1.key, W2.key]).cosigners


def test_bad_lines_and_bad_arguments_are_errors() -> None:
    good = W1.cosign(BODY, 1_700_000_000)
    forged = NoteSignature(W1.name, W1.key.key_id, (7).to_bytes(8, "big") + good.signature)
    with pytest.raises(CosignatureInvalid, match="does not verify"):
        verify_cosigned_checkpoint(NOTE + forged.line(), LOG.verifier, [W1.key], require=1)
    other_log = NoteSigner.generate(ORIGIN)
    with pytest.raises(NoteError, match="no signature from a known key"):
        verify_cosigned_checkpoint(NOTE + good.line(), other_log.verifier, [W1.key])
    with pytest.raises(InvalidInput, match="cannot require 2"):
        verify_cosigned_checkpoint(NOTE, LOG.verifier, [W1.key], require=2)
    with pytest.raises(NoteError, match="origin"):
        verify_cosigned_checkpoint(NOTE, LOG.verifier, [], origin="other.example/log")


def test_a_log_signature_already_verified_is_not_verified_again() -> None:
    note = NOTE + W1.cosign(BODY, 1_700_000_001).line()
    opened = open_checkpoint(note, [LOG.verifier], ORIGIN)
    checked = verify_cosigned_checkpoint(
        note, [LOG.verifier], [W1.key], require=1, origin=ORIGIN, opened=opened
    )
    assert checked == verify_cosigned_checkpoint(
        note, [LOG.verifier], [W1.key], require=1, origin=ORIGIN
    )
    # The cosignatures are still checked against the note.
    forged = NOTE + W1.cosign(BODY.replace("42", "43"), 1_700_000_001).line()
    with pytest.raises(CosignatureInvalid):
        verify_cosigned_checkpoint(
            forged, [LOG.verifier], [W1.key], require=1, origin=ORIGIN, opened=opened
        )
