"""Transcripts embed the witness-cosigned checkpoint; verifiers can require k cosignatures."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from creditbank.cli import main
from creditbank.witness.independent.run import run_round
from creditbank.witness.independent.store import WitnessStore
from tests.conftest import ORIGIN
from tests.transcripts.helpers import issue, populate
from tests.witness.independent.helpers import BankInstance, Banks, make_witness


@pytest.fixture
def witnesses(tmp_path: Path) -> tuple[WitnessStore, WitnessStore]:
    return (
        make_witness(tmp_path / "w1", "witness.example.org/w1"),
        make_witness(tmp_path / "w2", "witness.example.org/w2"),
    )


@pytest.fixture
def bank(tmp_path: Path, witnesses: tuple[WitnessStore, WitnessStore]) -> Iterator[BankInstance]:
    banks = Banks(tmp_path)
    yield banks.make("bank", [w.cosigner.key.verifier_key() for w in witnesses])
    banks.close()


def _vkey(witness: WitnessStore) -> str:
    return witness.cosigner.key.verifier_key()


def _issue(bank: BankInstance, *, cosigned_by: WitnessStore | None) -> dict[str, Any]:
    people = populate(bank.services)
    bank.services.ledger.publish_checkpoint()
    if cosigned_by is not None:
        log_key = bank.services.ledger.keyring.verifiers()[0].verifier_key()
        run_round(cosigned_by, bank.bank, log_keys=[log_key])
    return issue(people).credential


def _notes(credential: dict[str, Any]) -> set[str]:
    nested = credential["credentialSubject"]["verifiableCredential"]
    return {item["evidence"][0]["checkpoint"] for item in nested}


def _verify(bank: BankInstance, credential: Any, query: str = "") -> tuple[int, Any]:
    response = bank.client.post(f"/api/v1/verify{query}", json=credential)
    return response.status_code, response.get_json()


def _check(report: dict[str, Any], name: str = "witness cosignatures") -> dict[str, str]:
    found: dict[str, str] = next(c for c in report["checks"] if c["name"] == name)
    return found


def test_a_transcript_embeds_the_cosigned_checkpoint_and_k_can_be_required(
    bank: BankInstance, witnesses: tuple[WitnessStore, WitnessStore]
) -> None:
    first, second = witnesses
    credential = _issue(bank, cosigned_by=first)
    (note,) = _notes(credential)
    assert f"— {first.cosigner.key.name} " in note
    assert f"— {second.cosigner.key.name} " not in note

    code, report = _verify(bank, credential, "?require_witnesses=1")
    assert code == 200 and report["valid"], report
    assert _check(report)["outcome"] == "passed"
    assert first.cosigner.key.label in _check(report)["reason"]

    code, report = _verify(bank, credential, "?require_witnesses=2")
    assert code == 200 and not report["valid"]
    assert _check(report)["outcome"] == "failed"
    assert "2 required, 1 verified" in _check(report)["reason"]
    assert [c["name"] for c in report["checks"] if c["outcome"] == "failed"] == [
        "witness cosignatures"
    ]


def test_without_cosignatures_k_of_one_fails_and_zero_passes(
    bank: BankInstance, witnesses: tuple[WitnessStore, WitnessStore]
) -> None:
    credential = _issue(bank, cosigned_by=None)
    (note,) = _notes(credential)
    assert "witness.example.org" not in note
    code, report = _verify(bank, credential)
    assert code == 200 and report["valid"], report
    assert _check(report)["reason"].startswith("0 required, 0 verified")
    code, report = _verify(bank, credential, "?require_witnesses=1")
    assert code == 200 and not report["valid"]
    assert _check(report)["outcome"] == "failed"
    assert "1 required, 0 verified" in _check(report)["reason"]


def test_a_tampered_cosignature_line_fails(
    bank: BankInstance, witnesses: tuple[WitnessStore, WitnessStore]
) -> None:
    credential = _issue(bank, cosigned_by=witnesses[0])
    label = f"— {witnesses[0].cosigner.key.name} "
    for item in credential["credentialSubject"]["verifiableCredential"]:
        note: str = item["evidence"][0]["checkpoint"]
        head, line = note.split(label)
        signature = line.rstrip("\n")
        # Flip the signature's last byte, keeping its key id: the line still claims the witness.
        raw = bytearray(base64.b64decode(signature))
        raw[-1] ^= 1
        tampered = base64.b64encode(bytes(raw)).decode("ascii") + "\n"
        item["evidence"][0]["checkpoint"] = head + label + tampered
    code, report = _verify(bank, credential)
    assert code == 200 and not report["valid"]
    assert _check(report)["outcome"] == "failed"
    assert witnesses[0].cosigner.key.name in _check(report)["reason"]


@pytest.mark.parametrize("value", ["abc", "-1", "3", "1.5"])
def test_bad_require_witnesses_values_are_refused(
    bank: BankInstance, witnesses: tuple[WitnessStore, WitnessStore], value: str
) -> None:
    credential = _issue(bank, cosigned_by=witnesses[0])
    code, problem = _verify(bank, credential, f"?require_witnesses={value}")
    assert code == 400
    assert "require_witnesses" in json.dumps(problem)


def test_offline_verification_requires_the_given_witnesses(
    bank: BankInstance, witnesses: tuple[WitnessStore, WitnessStore], tmp_path: Path
) -> None:
    first, second = witnesses
    out = tmp_path / "transcript.json"
    out.write_text(json.dumps(_issue(bank, cosigned_by=first)), encoding="utf-8")
    trust = tmp_path / "trust.json"
    trust.write_bytes(bank.client.get("/.well-known/creditbank-trust-list.json").data)
    runner = CliRunner(
        env={
            "CREDITBANK_INSTANCE": str(bank.services.settings.instance_path),
            "CREDITBANK_LOG_ORIGIN": ORIGIN,
        }
    )

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(
            main,
            ["verify", str(out), "--trust", str(trust), "--allow-unchecked-status", *args],
            catch_exceptions=False,
        )
        return result.exit_code, result.output

    code, output = run("--witness-key", _vkey(first), "--require-witnesses", "1")
    assert "passed       witness cosignatures: 1 required, 1 verified" in output, output
    assert "failed" not in output
    code, output = run(
        "--witness-key", _vkey(first), "--witness-key", _vkey(second), "--require-witnesses", "2"
    )
    # Too few trusted cosigners: the checkpoint is not trusted as required (exit 6).
    assert code == 6 and "ISSUER NOT TRUSTED" in output
    assert "failed       witness cosignatures: " in output and "2 required, 1 verified" in output
    code, output = run("--witness-key", _vkey(second), "--require-witnesses", "1")
    assert code == 6 and "1 required, 0 verified" in output
    code, output = run("--require-witnesses", "1")
    assert code == 2 and "--witness-key" in output
    code, output = run("--witness-key", "not-a-key")
    assert code == 2 and "not-a-key" in output
