"""The witness endpoints: only configured witnesses' valid cosignatures are kept and served."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from creditbank.ledger.note import NoteSignature
from creditbank.witness.collector.service import witnesses_of
from creditbank.witness.cosignature import Cosigner
from creditbank.witness.verifier import verify_cosigned_checkpoint
from tests.witness.independent.helpers import BankInstance, Banks

NOW = 1_700_000_000


@pytest.fixture
def w1() -> Cosigner:
    return Cosigner.generate("witness.one.example/w")


@pytest.fixture
def w2() -> Cosigner:
    return Cosigner.generate("witness.two.example/w")


@pytest.fixture
def bank(
    tmp_path: Path, w1: Cosigner, w2: Cosigner, engine_name: str, request: pytest.FixtureRequest
) -> Iterator[BankInstance]:
    url = request.getfixturevalue("postgres_url") if engine_name == "postgres" else None
    banks = Banks(tmp_path)
    yield banks.make("bank", [w1.key.verifier_key(), w2.key.verifier_key()], database_url=url)
    banks.close()


def _checkpoint(bank: BankInstance, count: int) -> str:
    bank.grow(count, start=bank.services.ledger.head().size)
    return bank.services.ledger.current_checkpoint().note


def _body(note: str) -> str:
    return note.split("\n\n", 1)[0] + "\n"


def _submit(
    bank: BankInstance, text: str, content_type: str = "text/plain"
) -> tuple[int, dict[str, Any]]:
    response = bank.client.post(
        "/api/v1/log/cosignatures", data=text.encode("utf-8"), content_type=content_type
    )
    return response.status_code, response.get_json()


def test_cosignatures_are_collected_and_served(
    bank: BankInstance, w1: Cosigner, w2: Cosigner
) -> None:
    assert bank.client.get("/api/v1/log/checkpoint/cosigned").status_code == 404
    listed = bank.client.get("/api/v1/log/witnesses").get_json()["witnesses"]
    assert [(w["name"], w["key_id"], w["latest"]) for w in listed] == [
        (w1.name, w1.key.key_id.hex(), None),
        (w2.name, w2.key.key_id.hex(), None),
    ]

    note = _checkpoint(bank, 4)
    status, answer = _submit(bank, note + w1.cosign(_body(note), NOW).line())
    assert status == 200, answer
    assert answer["size"] == 4 and answer["accepted"] == [
        {"witness": w1.key.label, "timestamp": NOW}
    ]
    served = bank.client.get("/api/v1/log/checkpoint/cosigned")
    assert served.mimetype == "text/plain"
    log_key = bank.services.ledger.keyring.verifiers()[0]
    keys = [w1.key, w2.key]
    checked = verify_cosigned_checkpoint(served.get_data(as_text=True), log_key, keys, require=1)
    assert [c.label for c in checked.cosigners] == [w1.key.label]
    assert bank.client.get("/api/v1/log/checkpoint/cosigned?witnesses=2").status_code == 404

    # The second witness cosigns the same checkpoint: both lines are served together.
    status, _ = _submit(bank, note + w2.cosign(_body(note), NOW + 5).line())
    assert status == 200
    both = bank.client.get("/api/v1/log/checkpoint/cosigned?witnesses=2").get_data(as_text=True)
    checked = verify_cosigned_checkpoint(both, log_key, keys, require=2)
    assert [(c.label, c.timestamp) for c in checked.cosigners] == [
        (w1.key.label, NOW),
        (w2.key.label, NOW + 5),
    ]
    listed = bank.client.get("/api/v1/log/witnesses").get_json()["witnesses"]
    assert [w["latest"]["size"] for w in listed] == [4, 4]
    assert listed[1]["latest"]["time"] == "2023-11-14T22:13:25Z"

    # A later checkpoint cosigned by one witness is the latest cosigned one; a transcript for
    # records in the first four entries still gets the checkpoint both witnesses cosigned.
    later = _checkpoint(bank, 3)
    assert _submit(bank, later + w1.cosign(_body(later), NOW + 10).line())[0] == 200
    latest = bank.client.get("/api/v1/log/checkpoint/cosigned").get_data(as_text=True)
    assert latest.startswith(_body(later))
    witnesses = witnesses_of(bank.services.ledger, bank.services.settings.witness_keys)
    covering = witnesses.covering(4)
    assert covering is not None and covering.size == 4 and len(covering.witnesses) == 2
    newest = witnesses.covering(5)
    assert newest is not None and newest.size == 7 and newest.witnesses == (w1.key.label,)
    assert witnesses.covering(8) is None


def test_bad_submissions_are_refused_and_change_nothing(bank: BankInstance, w1: Cosigner) -> None:
    note = _checkpoint(bank, 3)
    body = _body(note)
    stranger = Cosigner.generate("stranger.example/w")

    status, problem = _submit(bank, note + stranger.cosign(body, NOW).line())
    assert status == 403 and problem["type"].endswith("unknown-witness")
    assert stranger.key.label in problem["detail"]

    # Same name as a configured witness but another key: its key id differs, so unknown.
    impostor = Cosigner.generate(w1.name)
    status, problem = _submit(bank, note + impostor.cosign(body, NOW).line())
    assert status == 403 and impostor.key.label in problem["detail"]

    # A configured witness's line that does not verify: signed over another time.
    good = w1.cosign(body, NOW)
    forged = NoteSignature(
        w1.name, w1.key.key_id, (NOW + 1).to_bytes(8, "big") + good.signature
    ).line()
    status, problem = _submit(bank, note + forged)
    assert status == 422 and problem["type"].endswith("cosignature-invalid")
    assert "does not verify" in problem["detail"]

    # A valid line next to a bad one: the whole submission is refused.
    status, _ = _submit(bank, note + good.line() + forged)
    assert status == 422

    # A plain Ed25519 note signature (4 + 64 bytes) under the witness's name and key id.
    short = NoteSignature(w1.name, w1.key.key_id, good.signature).line()
    status, problem = _submit(bank, note + short)
    assert status == 422 and "cosignature/v1" in problem["detail"]

    # A cosignature over a checkpoint the bank never published.
    unpublished = body.replace("\n3\n", "\n2\n")
    fake = unpublished + "\n" + note.split("\n\n", 1)[1] + w1.cosign(unpublished, NOW).line()
    status, problem = _submit(bank, fake)
    assert status == 404 and "size 2" in problem["detail"]

    # Dated in the future, no cosignature at all, not a note, not text/plain.
    status, _ = _submit(bank, note + w1.cosign(body, 2**40).line())
    assert status == 422
    status, problem = _submit(bank, note)
    assert status == 400 and "no witness cosignature" in problem["detail"]
    assert _submit(bank, "hello")[0] == 422
    assert _submit(bank, note + good.line(), content_type="application/json")[0] == 400
    assert bank.client.get("/api/v1/log/checkpoint/cosigned?witnesses=0").status_code == 400
    assert bank.client.get("/api/v1/log/checkpoint/cosigned?witnesses=3").status_code == 400

    # Nothing was stored by any of them.
    assert bank.client.get("/api/v1/log/checkpoint/cosigned").status_code == 404
    listed = bank.client.get("/api/v1/log/witnesses").get_json()["witnesses"]
    assert all(w["latest"] is None for w in listed)
    assert base64.b64decode(good.line().split()[-1])[:4] == w1.key.key_id
