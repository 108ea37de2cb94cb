"""Each verdict class through HTTP: ``POST /api/v1/verify`` and ``GET /api/v1/verify/{code}``."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from creditbank.clock import as_utc, utc_now
from creditbank.records.service import revoke_record
from creditbank.storage.database import write_transaction
from creditbank.transcripts import online
from creditbank.transcripts.cryptosuite import format_datetime, unsecured
from creditbank.transcripts.issued import (
    read_transcript,
    revoke_transcript,
    seal_context,
    transcript_t,
)
from creditbank.transcripts.tables import StatusList
from creditbank.wiring import Services
from tests.transcripts.forgery import forge
from tests.transcripts.helpers import POSTER, Bank, dependents, issue, populate


@pytest.fixture
def bank(services: Services) -> Bank:
    return populate(services)


def _verify(client: FlaskClient, credential: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/verify", json=credential)
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def _by_code(client: FlaskClient, code: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/verify/{code}")
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def test_valid(bank: Bank, client: FlaskClient, engine_name: str) -> None:
    issued = issue(bank)
    report = _verify(client, issued.credential)
    assert report["valid"] is True
    assert report["verdict"] == {
        "class": "valid",
        "summary": "Valid: the transcript is genuine and in force",
    }
    assert report["credentialType"] == "ClrCredential"
    by_code = _by_code(client, issued.code)
    assert by_code["verdict"]["class"] == "valid" and by_code["transcript"] == issued.credential
    assert "claimed" not in by_code


def test_revoked_by_code_shows_when_and_why_but_no_grades(
    bank: Bank, client: FlaskClient, engine_name: str
) -> None:
    issued = issue(bank)
    summary = revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        issued.id,
        bank.li,
        reason="换了工作，不再分享",
        now=utc_now(),
    )
    assert summary.revoked_at is not None
    expected = {
        "class": "revoked",
        "at": format_datetime(as_utc(summary.revoked_at)),
        "category": "withdrawn_by_learner",
        "check": "status",
        "summary": "Not valid: revoked",
    }
    by_code = _by_code(client, issued.code)
    assert by_code["valid"] is False and by_code["verdict"] == expected
    assert "transcript" not in by_code and "claimed" not in by_code
    text = json.dumps(by_code, ensure_ascii=False)
    assert "换了工作" not in text  # the learner's own words stay theirs
    assert "creditsEarned" not in text and "机械制图" not in text  # no grades, no titles
    assert _verify(client, issued.credential)["verdict"] == expected


def test_a_record_revoked_by_its_institution_is_the_revocation_category(
    bank: Bank, client: FlaskClient
) -> None:
    issued = issue(bank)
    revoke_record(
        bank.services.ledger,
        bank.li_records[0],
        institution=POSTER,
        reason="posted in error",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    verdict = _by_code(client, issued.code)["verdict"]
    assert (verdict["class"], verdict["category"]) == ("revoked", "record_changed")


def test_expired_says_when_and_keeps_the_claims_apart(
    bank: Bank, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = issue(bank, days=30)
    later = utc_now() + timedelta(days=31)
    monkeypatch.setattr("creditbank.api.transcripts.utc_now", lambda: later)
    report = _verify(client, issued.credential)
    assert report["valid"] is False
    assert report["verdict"]["class"] == "expired"
    assert report["verdict"]["at"] == issued.credential["validUntil"]
    by_code = _by_code(client, issued.code)
    assert by_code["verdict"]["class"] == "expired"
    assert "transcript" not in by_code and by_code["claimed"] == issued.credential


def test_altered_names_the_check_and_the_record(bank: Bank, client: FlaskClient) -> None:
    credential = copy.deepcopy(issue(bank).credential)
    nested = credential["credentialSubject"]["verifiableCredential"][1]
    nested["credentialSubject"]["term"] = "2030-2031-1"
    verdict = _verify(client, credential)["verdict"]
    assert verdict["class"] == "altered"
    assert verdict["check"] == "record content" and verdict["record"] == nested["id"]
    assert "credentialSubject.term differs from the committed record" in verdict["detail"]


def test_a_stored_copy_altered_in_the_database_is_altered_by_code(
    bank: Bank, client: FlaskClient
) -> None:
    issued = issue(bank)
    services = bank.services
    _, stored = read_transcript(services.engine, services.sealer, issued.id, None)
    stored["validUntil"] = "2099-12-31T00:00:00Z"
    with write_transaction(services.engine) as connection:
        connection.execute(
            update(transcript_t)
            .where(transcript_t.c.id == issued.id)
            .values(
                credential_sealed=services.sealer.seal(
                    json.dumps(stored), context=seal_context(issued.id)
                )
            )
        )
    by_code = _by_code(client, issued.code)
    assert by_code["verdict"]["class"] == "altered"
    assert "transcript" not in by_code
    assert by_code["claimed"]["validUntil"] == "2099-12-31T00:00:00Z"


def test_a_forgery_under_the_banks_did_is_issuer_not_trusted(
    bank: Bank, client: FlaskClient
) -> None:
    genuine = issue(bank).credential
    identity = bank.services.issuer_identity()
    forgery = forge(
        genuine,
        bank_did=identity.current().did,
        bank_keys=identity.keys.keys(),
        log_keys=[v.verifier_key() for v in bank.services.ledger.keyring.verifiers()],
        name="张伟",
    )
    verdict = _verify(client, forgery.credential)["verdict"]
    assert verdict["class"] == "issuer_not_trusted" and verdict["check"] == "issuer key"
    assert forgery.method in verdict["detail"]


def test_an_unsigned_status_list_is_status_unavailable(
    bank: Bank, client: FlaskClient, engine_name: str
) -> None:
    issued = issue(bank)
    table = StatusList.__table__  # type: ignore[attr-defined]
    with write_transaction(bank.services.engine) as connection:
        connection.execute(update(table).values(credential=None))
    report = _verify(client, issued.credential)
    assert report["valid"] is False
    assert report["verdict"]["class"] == "status_unavailable"
    assert "is not signed yet" in report["verdict"]["detail"]


def test_a_single_record_credential_is_verified_on_its_own(bank: Bank, client: FlaskClient) -> None:
    issued = issue(bank)
    record = copy.deepcopy(issued.credential["credentialSubject"]["verifiableCredential"][0])
    report = _verify(client, record)
    assert report["valid"] is True, report
    assert report["credentialType"] == "AchievementCredential" and report["records"] == 1
    outcomes = {check["name"]: check["outcome"] for check in report["checks"]}
    assert outcomes["outer signature"] == outcomes["record content"] == "passed"
    assert outcomes["nested signatures"] == "skipped"
    assert outcomes["status"] == "passed"

    altered = copy.deepcopy(record)
    altered["credentialSubject"]["term"] = "2030-2031-1"
    verdict = _verify(client, altered)["verdict"]
    assert (verdict["class"], verdict["check"], verdict["record"]) == (
        "altered",
        "record content",
        record["id"],
    )
    unsigned = _verify(client, unsecured(record))["verdict"]
    assert (unsigned["class"], unsigned["check"]) == ("issuer_not_trusted", "issuer key")

    revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        issued.id,
        bank.li,
        reason="x",
        now=utc_now(),
    )
    verdict = _verify(client, record)["verdict"]
    assert (verdict["class"], verdict["category"]) == ("revoked", "withdrawn_by_learner")


def test_unknown_routes_answer_a_browser_with_a_page_and_a_client_with_a_problem(
    client: FlaskClient,
) -> None:
    page = client.get("/no/such/page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "没有这个页面" in page.get_data(as_text=True)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    for path, accept in (
        ("/no/such/page", "application/json"),
        ("/no/such/page", "*/*"),
        ("/api/v1/no-such", "text/html"),
    ):
        answer = client.get(path, headers={"Accept": accept})
        assert answer.status_code == 404
        assert answer.mimetype == "application/problem+json", (path, accept)
        assert answer.get_json()["status"] == 404


def test_online_status_positions_outside_the_banks_lists_are_none() -> None:
    public = "https://creditbank.cq.edu.cn"
    assert online._own_list(public, f"{public}/api/v1/status-lists/12") == 12
    for tail in ("x", "", "1" * 10, "\u00b2", "-1"):
        assert online._own_list(public, f"{public}/api/v1/status-lists/{tail}") is None
    assert online._own_list(public, "https://evil.example/api/v1/status-lists/1") is None
