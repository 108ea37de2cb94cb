"""A witness against banks in process: it cosigns what extends its view and refuses forks."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from creditbank.errors import ForkDetected, NoteError
from creditbank.ledger.note import NoteSigner
from creditbank.witness.independent.run import run_round
from creditbank.witness.independent.store import WitnessStore
from creditbank.witness.verifier import verify_cosigned_checkpoint
from tests.witness.independent.helpers import BankInstance, Banks, make_witness


@pytest.fixture
def witness(tmp_path: Path) -> WitnessStore:
    return make_witness(tmp_path / "witness")


@pytest.fixture
def banks(tmp_path: Path) -> Iterator[Banks]:
    opened = Banks(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def bank(banks: Banks, witness: WitnessStore) -> BankInstance:
    return banks.make("bank", [witness.cosigner.key.verifier_key()])


def _log_key(bank: BankInstance) -> str:
    return bank.services.ledger.keyring.verifiers()[0].verifier_key()


def test_witness_cosigns_consistent_checkpoints(bank: BankInstance, witness: WitnessStore) -> None:
    bank.grow(5)
    first = run_round(witness, bank.bank, log_keys=[_log_key(bank)])
    assert (first.size, first.pinned) == (5, (_log_key(bank),))
    state = witness.load(bank.services.ledger.origin)
    assert state is not None and state.cosigned is not None and state.cosigned.size == 5

    # The log grows: the witness checks a consistency proof from 5 and cosigns 12.
    bank.grow(7, start=5)
    second = run_round(witness, bank.bank)
    assert (second.size, second.pinned) == (12, ())

    note = bank.client.get("/api/v1/log/checkpoint/cosigned").get_data(as_text=True)
    checked = verify_cosigned_checkpoint(
        note, _log_key(bank), [witness.cosigner.key.verifier_key()], require=1
    )
    assert checked.checkpoint.size == 12
    assert [c.label for c in checked.cosigners] == [witness.cosigner.key.label]
    assert checked.cosigners[0].timestamp == second.timestamp

    # The bank-signed checkpoint is untouched: the same bytes as the stored note.
    plain = bank.client.get("/api/v1/log/checkpoint").get_data(as_text=True)
    assert plain == bank.services.ledger.current_checkpoint().note
    assert note.startswith(plain) and note[len(plain) :].startswith("— witness.example.org/w1 ")


def test_witness_cosigns_the_same_checkpoint_again_with_a_fresh_time(
    bank: BankInstance, witness: WitnessStore
) -> None:
    bank.grow(3)
    run_round(witness, bank.bank, now=1_700_000_000)
    again = run_round(witness, bank.bank, now=1_700_000_060)
    assert again.size == 3
    status = bank.client.get("/api/v1/log/witnesses").get_json()["witnesses"][0]
    assert status["latest"]["size"] == 3 and status["latest"]["timestamp"] == 1_700_000_060


def _forked(banks: Banks, bank: BankInstance, witness: WitnessStore) -> BankInstance:
    """A second bank with the same origin and log key but its own history."""
    return banks.make("forked", [witness.cosigner.key.verifier_key()], same_key_as=bank)


@pytest.mark.parametrize(
    ("fork_size", "reason"),
    [(8, "not-an-extension"), (5, "same-size-different-root"), (3, "smaller-tree")],
)
def test_witness_refuses_a_forked_log(
    banks: Banks, bank: BankInstance, witness: WitnessStore, fork_size: int, reason: str
) -> None:
    bank.grow(5)
    run_round(witness, bank.bank, log_keys=[_log_key(bank)])
    cosigned_root = bank.services.ledger.head().root_hash

    forked = _forked(banks, bank, witness)
    forked.grow(fork_size, start=100)  # other entries, same origin, same key
    assert _log_key(forked) == _log_key(bank)
    with pytest.raises(ForkDetected) as refused:
        run_round(witness, forked.bank)
    assert refused.value.reason == reason
    message = refused.value.detail
    assert f"size {fork_size}," in message and "size 5," in message
    assert base64.b64encode(cosigned_root).decode() in message
    assert base64.b64encode(forked.services.ledger.head().root_hash).decode() in message

    # Never cosigned: the witness's state is unchanged, the forked bank holds no cosignature,
    # the evidence is kept, and asking again refuses again.
    state = witness.load(bank.services.ledger.origin)
    assert state is not None and state.cosigned is not None
    assert (state.cosigned.size, state.cosigned.root_hash) == (5, cosigned_root)
    assert forked.client.get("/api/v1/log/checkpoint/cosigned").status_code == 404
    evidence = list((witness.directory / "evidence").iterdir())
    assert len(evidence) == 1 and "refused:" in evidence[0].read_text()
    with pytest.raises(ForkDetected):
        run_round(witness, forked.bank)
    # The honest bank still extends what was cosigned.
    bank.grow(2, start=5)
    assert run_round(witness, bank.bank).size == 7


def test_witness_refuses_a_checkpoint_not_signed_by_the_pinned_key(
    bank: BankInstance, witness: WitnessStore
) -> None:
    bank.grow(2)
    other = NoteSigner.generate(bank.services.ledger.origin).verifier.verifier_key()
    with pytest.raises(NoteError, match="no signature from a known key"):
        run_round(witness, bank.bank, log_keys=[other])
    assert bank.client.get("/api/v1/log/checkpoint/cosigned").status_code == 404


def test_witness_refuses_an_impostor_with_another_key(
    banks: Banks, bank: BankInstance, witness: WitnessStore
) -> None:
    bank.grow(2)
    run_round(witness, bank.bank)  # pins the bank's key on first use
    impostor = banks.make("impostor", [witness.cosigner.key.verifier_key()])
    impostor.grow(4)
    with pytest.raises(NoteError):
        run_round(witness, impostor.bank)


def test_witness_notices_a_log_rewritten_behind_its_back(
    bank: BankInstance, witness: WitnessStore
) -> None:
    bank.grow(6)
    run_round(witness, bank.bank)
    # Someone with the database's keys drops the triggers and rebuilds the log with other
    # entries of the same length, and the bank signs the new history with its own key.
    with bank.services.engine.begin() as connection:
        for table in ("ledger_entry", "ledger_node", "ledger_checkpoint", "ledger_opening"):
            for operation in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{operation}"))
        for table in ("ledger_opening", "ledger_node", "ledger_entry", "ledger_checkpoint"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(
            text("UPDATE ledger_head SET size = 0, root_hash = :root, last_leaf_hash = :zero"),
            {"root": hashlib.sha256(b"").digest(), "zero": bytes(32)},
        )
    bank.grow(6, start=1000)
    with pytest.raises(ForkDetected) as refused:
        run_round(witness, bank.bank)
    assert refused.value.reason == "same-size-different-root"
    assert "the log was rewritten" in refused.value.detail
    # And when the rewritten log grows past what was cosigned, the proof gives it away.
    bank.grow(3, start=2000)
    with pytest.raises(ForkDetected) as refused:
        run_round(witness, bank.bank)
    assert refused.value.reason == "not-an-extension"
    assert "size 9," in refused.value.detail and "size 6," in refused.value.detail


def test_witness_follows_a_rotation_the_old_key_signed(
    bank: BankInstance, witness: WitnessStore
) -> None:
    bank.grow(4)
    first_key = _log_key(bank)
    run_round(witness, bank.bank, log_keys=[first_key])
    bank.services.ledger.rotate_key(actor="operator:console")
    second_key = _log_key(bank)
    bank.services.ledger.rotate_key(actor="operator:console")
    third_key = _log_key(bank)
    keyring = bank.services.ledger.keyring
    for info in keyring.keys()[:-1]:  # only the newest key signs from now on
        keyring.retire(info.key_id.hex())
    bank.grow(3, start=6)
    bank.services.ledger.publish_checkpoint()

    result = run_round(witness, bank.bank)
    assert result.followed == (second_key, third_key)  # two links, followed in order
    assert result.size == bank.services.ledger.head().size
    state = witness.load(bank.services.ledger.origin)
    assert state is not None
    assert [key.verifier_key() for key in state.log_keys] == [first_key, second_key, third_key]
    assert run_round(witness, bank.bank).followed == ()


def test_witness_ignores_a_key_no_trusted_key_vouched_for(
    bank: BankInstance, witness: WitnessStore
) -> None:
    bank.grow(4)
    run_round(witness, bank.bank, log_keys=[_log_key(bank)])
    keyring = bank.services.ledger.keyring
    # A key slipped into the keyring by hand: no statement by the old key names it.
    with keyring._locked():
        keyring._add(NoteSigner.generate(bank.services.ledger.origin))
    for info in keyring.keys()[:-1]:
        keyring.retire(info.key_id.hex())
    bank.grow(2, start=4)
    with pytest.raises(NoteError, match="no signature from a known key"):
        run_round(witness, bank.bank)
