"""Issuing, verifying, tampering, expiry, revocation, rotation and selective disclosure."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.clock import utc_now
from creditbank.errors import Conflict, InvalidInput
from creditbank.ledger.store import read_openings
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import correct_record, read_record, revoke_record
from creditbank.transcripts import issuing
from creditbank.transcripts.canonical_forms import CanonicalForms, canonical_without_proof
from creditbank.transcripts.cryptosuite import sign_document, unsecured
from creditbank.transcripts.issued import find_by_code, list_transcripts, revoke_transcript
from creditbank.transcripts.issuer import did_document
from creditbank.transcripts.status import LIST_BITS, decode_bits
from creditbank.transcripts.status_lists import refresh_status_lists, status_list_document
from creditbank.transcripts.verify import Report
from creditbank.wiring import Services
from tests.transcripts.helpers import POSTER, Bank, course, dependents, issue, populate
from tests.transcripts.helpers import verify as verify_online


@pytest.fixture
def bank(services: Services) -> Bank:
    return populate(services)


def verify(bank: Bank, credential: Any, *, days: float = 0) -> Report:
    return verify_online(bank.services, credential, now=utc_now() + timedelta(days=days))


def test_an_issued_transcript_verifies(bank: Bank) -> None:
    issued = issue(bank)
    report = verify(bank, issued.credential)
    assert report.valid, report.to_json()
    assert report.records == len(bank.li_records)
    assert {c.outcome for c in report.checks} == {"passed"}


def test_every_record_kind_is_there_with_its_claims(bank: Bank) -> None:
    credential = issue(bank, language="en").credential
    nested = credential["credentialSubject"]["verifiableCredential"]
    kinds = [n["credentialSubject"]["recordKind"] for n in nested]
    assert sorted(kinds) == ["award", "certificate", "course", "course", "course", "training"]
    first = nested[0]["credentialSubject"]
    assert first["creditsEarned"] == 4
    assert first["hours"] == 64
    assert first["term"] == "2024-2025-1"
    assert first["achievement"]["name"] == "Mechanical Drawing 0"
    assert first["achievement"]["nameZh"] == "机械制图0"
    assert nested[1]["credentialSubject"]["creditsEarned"] == 3.5
    assert nested[0]["awardedDate"] == "2025-01-10T00:00:00+08:00"
    text = json.dumps(credential, ensure_ascii=False)
    assert "李明" in text
    assert "500105" not in text  # the ID number never appears


TAMPERS: dict[str, tuple[Callable[[dict[str, Any]], None], set[str]]] = {
    "grade": (
        lambda c: c["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][
            0
        ].update(value="99"),
        {"outer signature", "nested signatures", "record content"},
    ),
    "credits": (
        lambda c: c["credentialSubject"]["verifiableCredential"][0]["credentialSubject"].update(
            creditsEarned=9
        ),
        {"outer signature", "nested signatures", "record content"},
    ),
    "a date": (
        lambda c: c.update(validUntil="2099-01-01T00:00:00Z"),
        {"outer signature"},
    ),
    "an id": (
        lambda c: c["credentialSubject"]["verifiableCredential"][1].update(
            id="urn:uuid:00000000-0000-4000-8000-000000000000"
        ),
        {"outer signature", "nested signatures"},
    ),
    "a proof element": (
        lambda c: c["proof"][0].update(created="2026-01-01T00:00:00Z"),
        {"outer signature"},
    ),
    "the proof value": (
        lambda c: c["proof"][0].update(proofValue="z" + "2" * 86),
        {"outer signature"},
    ),
    "the payload": (
        lambda c: _evidence(c).__getitem__("ledgerPayload")["outcome"].update(hours=65),
        {"outer signature", "nested signatures", "commitment opening"},
    ),
    "the salt": (
        lambda c: _evidence(c).update(commitmentSalt="00" * 32),
        {"outer signature", "nested signatures", "commitment opening"},
    ),
    "the inclusion proof": (
        lambda c: _evidence(c)["inclusionProof"]["hashes"].__setitem__(0, "A" * 43 + "="),
        {"outer signature", "nested signatures", "inclusion proof"},
    ),
    "the checkpoint": (
        lambda c: _evidence(c).update(
            checkpoint=_evidence(c)["checkpoint"].replace("\n", "\nx", 1)
        ),
        {"outer signature", "nested signatures", "checkpoint signature"},
    ),
}


def _evidence(credential: dict[str, Any]) -> dict[str, Any]:
    evidence: dict[str, Any] = credential["credentialSubject"]["verifiableCredential"][0][
        "evidence"
    ][0]
    return evidence


@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_tampering_with_one_field_fails_and_names_the_check(bank: Bank, what: str) -> None:
    credential = issue(bank).credential
    change, expected = TAMPERS[what]
    altered = copy.deepcopy(credential)
    change(altered)
    report = verify(bank, altered)
    assert not report.valid
    assert expected <= set(report.failed), report.to_json()


def test_the_inclusion_proof_element_swapped_for_another_records_fails(bank: Bank) -> None:
    credential = issue(bank).credential
    nested = credential["credentialSubject"]["verifiableCredential"]
    nested[0]["evidence"][0]["inclusionProof"] = nested[1]["evidence"][0]["inclusionProof"]
    assert "inclusion proof" in verify(bank, credential).failed


def test_an_expired_transcript_fails_on_its_dates(bank: Bank) -> None:
    credential = issue(bank, days=30).credential
    report = verify(bank, credential, days=31)
    assert report.failed == ("validity dates",)
    assert "expired" in report.check("validity dates").reason


def test_a_transcript_revoked_by_the_learner_fails_on_status(bank: Bank) -> None:
    issued = issue(bank)
    revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        issued.id,
        bank.li,
        reason="no longer shared",
        now=utc_now(),
    )
    report = verify(bank, issued.credential)
    assert report.failed == ("status",)
    assert "revoked" in report.check("status").reason


def _correct_first_record(bank: Bank) -> None:
    correct_record(
        bank.services.ledger,
        bank.li_records[0],
        parse_outcome(course(0, hours=66), today=utc_now().date()),
        institution=POSTER,
        reason="hours mistyped",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )


def test_correcting_a_record_revokes_the_transcripts_that_show_it(bank: Bank) -> None:

    first = issue(bank, records=[bank.li_records[0]])
    other = issue(bank, records=[bank.li_records[1]])
    _correct_first_record(bank)
    assert verify(bank, first.credential).failed == ("status",)
    assert verify(bank, other.credential).valid


def test_a_correction_while_issuing_refuses_the_transcript(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = issuing.covering_checkpoint

    def correcting(*args: Any, **kwargs: Any) -> Any:
        _correct_first_record(bank)
        return original(*args, **kwargs)

    monkeypatch.setattr(issuing, "covering_checkpoint", correcting)
    size = bank.services.ledger.head().size
    with pytest.raises(Conflict, match="changed while the transcript was being issued"):
        issue(bank, records=bank.li_records[:2])
    assert bank.services.ledger.head().size == size + 1  # the correction only


def test_revoking_a_record_revokes_the_transcripts_that_show_it(bank: Bank) -> None:

    issued = issue(bank)
    revoke_record(
        bank.services.ledger,
        bank.li_records[2],
        institution=POSTER,
        reason="posted in error",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    assert verify(bank, issued.credential).failed == ("status",)
    summaries = list_transcripts(bank.services.engine.connect(), bank.li)
    assert summaries[0].revoked_reason == f"record {bank.li_records[2]} revoked"


def test_each_check_reports_its_first_failing_record(bank: Bank) -> None:
    credential = copy.deepcopy(issue(bank).credential)
    nested = credential["credentialSubject"]["verifiableCredential"]
    ids = [item["id"] for item in nested]
    # Record 2: a well-formed proof value that is not the signature (found by Ed25519);
    # record 3: one that is not base58 (found before any signature is checked).
    value = nested[1]["proof"][0]["proofValue"]
    nested[1]["proof"][0]["proofValue"] = (
        value[:10] + ("3" if value[10] != "3" else "4") + value[11:]
    )
    nested[2]["proof"][0]["proofValue"] = "z0" + value[2:]
    nested[3]["proof"][0]["verificationMethod"] = "did:web:evil.example#key-1"
    nested[4]["evidence"][0]["commitmentSalt"] = "00" * 32
    del nested[5]["evidence"]
    report = verify(bank, credential)
    assert {check.name: check.reason for check in report.checks if check.outcome == "failed"} == {
        "issuer key": f"record 4 ({ids[3]}): verification method "
        "'did:web:evil.example#key-1' is not one of the bank's keys",
        "outer signature": "the signature does not match the document",
        "nested signatures": f"record 2 ({ids[1]}): the signature does not match the document",
        "commitment opening": f"record 5 ({ids[4]}): SHA-256(salt ‖ payload) is not the "
        "entry's commitment",
    }
    assert report.records == len(nested) == 6


def test_a_wrong_issuer_fails_on_the_issuer_key(bank: Bank, tmp_path: Any) -> None:

    credential = issue(bank).credential
    forged = sign_document(
        unsecured({**credential, "issuer": {**credential["issuer"], "id": "did:web:evil.example"}}),
        Ed25519PrivateKey.generate(),
        verification_method="did:web:evil.example#key-1",
        created=utc_now(),
    )
    report = verify(bank, forged)
    assert "issuer key" in report.failed
    assert "not one of the bank's keys" in report.check("issuer key").reason


def test_a_transcript_from_before_a_key_rotation_still_verifies(bank: Bank) -> None:
    before = issue(bank)
    bank.services.issuer_keys.rotate()
    after = issue(bank)
    assert (
        before.credential["proof"][0]["verificationMethod"]
        != after.credential["proof"][0]["verificationMethod"]
    )
    assert verify(bank, before.credential).valid, verify(bank, before.credential).to_json()
    assert verify(bank, after.credential).valid
    document = did_document(
        bank.services.issuer_identity(), bank.services.ledger.keyring.verifiers()
    )
    assert len(document["verificationMethod"]) == 2
    assert "retiredAt" in document["verificationMethod"][1]


def test_a_retired_key_cannot_sign_later(bank: Bank) -> None:

    old_private = bank.services.issuer_keys.current()[1]
    credential = issue(bank).credential
    method = credential["proof"][0]["verificationMethod"]
    bank.services.issuer_keys.rotate()
    late = sign_document(
        unsecured(credential),
        old_private,
        verification_method=method,
        created=utc_now() + timedelta(days=1),
    )
    report = verify(bank, late, days=1)
    assert "issuer key" in report.failed
    assert "retired" in report.check("issuer key").reason


def test_unselected_records_appear_nowhere(bank: Bank, services: Services) -> None:
    chosen = bank.li_records[:2]
    credential = issue(bank, records=chosen).credential
    text = json.dumps(credential, ensure_ascii=False)
    assert credential["partial"] is True
    with services.engine.connect() as connection:
        for record_id in bank.li_records[2:] + bank.wang_records:
            record = read_record(connection, record_id)
            assert record_id not in text
            salt, _ = read_openings(connection, [record.current.ledger_index])[
                record.current.ledger_index
            ]
            assert salt.hex() not in text
            title = (
                record.current.content.get("title_zh")
                or record.current.content.get("title")
                or record.current.content.get("competition")
            )
            assert title not in text
    assert verify(bank, credential).valid


def test_bad_requests_are_refused(bank: Bank) -> None:
    for days in (29, 181):
        with pytest.raises(InvalidInput, match="validity_days"):
            issue(bank, days=days)
    with pytest.raises(InvalidInput, match="cannot be included"):
        issue(bank, records=bank.wang_records)
    with pytest.raises(InvalidInput, match="language"):
        issue(bank, language="fr")


def test_verification_by_code_finds_the_transcript(bank: Bank) -> None:
    issued = issue(bank)
    summary, credential = find_by_code(
        bank.services.engine, bank.services.sealer, issued.code.lower()
    )
    assert summary.id == issued.id
    assert credential == issued.credential
    assert len(issued.code) == 16


def test_status_list_is_signed_gzip_and_at_least_16kb(bank: Bank) -> None:

    issue(bank)
    document = status_list_document(bank.services.engine, 1)
    bits = decode_bits(document["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == LIST_BITS >= 16 * 1024 * 8
    assert not any(bits)
    assert (
        refresh_status_lists(bank.services.engine, bank.services.issuer_identity(), now=utc_now())
        == 0
    )


def test_composed_canonical_forms_equal_the_encoder(bank: Bank) -> None:
    credential = issue(bank).credential
    nested = credential["credentialSubject"]["verifiableCredential"]
    forms = CanonicalForms.of(credential, nested)
    assert forms.outer is not None
    assert b"".join(forms.outer) == canonical_without_proof(credential)
    assert [b"".join(form or ()) for form in forms.nested] == [
        canonical_without_proof(item) for item in nested
    ]


def test_revocation_paths_on_each_engine(bank: Bank, engine_name: str) -> None:
    first = issue(bank, records=[bank.li_records[0]])
    second = issue(bank, records=[bank.li_records[1]])
    third = issue(bank, records=[bank.li_records[2]])
    _correct_first_record(bank)
    revoke_record(
        bank.services.ledger,
        bank.li_records[1],
        institution=POSTER,
        reason="error",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        third.id,
        bank.li,
        reason="mine",
        now=utc_now(),
    )
    for issued in (first, second, third):
        assert verify(bank, issued.credential).failed == ("status",)
    assert verify(bank, issue(bank).credential).valid


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_value_json_cannot_sign_fails_the_shape_and_checks_nothing_else(
    bank: Bank, value: float
) -> None:
    credential = copy.deepcopy(issue(bank).credential)
    credential["credentialSubject"]["verifiableCredential"][0]["credentialSubject"][
        "creditsEarned"
    ] = value
    report = verify(bank, credential)
    assert report.failed == ("credential shape",)
    assert "no canonical JSON form" in report.check("credential shape").reason
    assert {c.outcome for c in report.checks[1:]} == {"skipped"}
