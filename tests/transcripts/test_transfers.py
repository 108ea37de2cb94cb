"""Recognised transfers on transcripts: claims, evidence, tampering, disclosure, supersession."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from creditbank.clock import utc_now
from creditbank.errors import Conflict, InvalidInput
from creditbank.evaluations.service import Committed
from creditbank.evaluations.transfers import learner_transfers
from creditbank.ledger.store import read_openings
from creditbank.records.service import learner_records
from creditbank.storage.database import read_connection
from creditbank.transcripts import issuing
from creditbank.transcripts.issued import list_transcripts
from creditbank.transcripts.verify import Report
from creditbank.transcripts.view import view_from_credential
from creditbank.wiring import Services
from tests.transcripts.helpers import Bank, issue, populate, recognise_transfers
from tests.transcripts.helpers import verify as verify_online


@pytest.fixture
def bank(services: Services) -> Bank:
    return populate(services)


@pytest.fixture
def committed(bank: Bank) -> Committed:
    return recognise_transfers(bank)


def verify(bank: Bank, credential: Any) -> Report:
    return verify_online(bank.services, credential)


def _transfers(credential: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item
        for item in credential["credentialSubject"]["verifiableCredential"]
        if item["credentialSubject"]["recordKind"] == "transfer"
    ]


def test_a_commit_records_one_entry_per_recognised_course(bank: Bank, committed: Committed) -> None:
    with read_connection(bank.services.engine) as connection:
        views = learner_transfers(connection, bank.li)
        openings = read_openings(connection, [v.ledger_index for v in views])
    assert [v.id for v in views] == list(committed.transfers)
    # 电工基础, the 1+X certificate, the award, and 体育与健康 into the catch-all elective.
    assert [(v.course_code, str(v.credits)) for v in views] == [
        ("GZ-JD102", "4"),
        ("GZ-JD201", "4"),
        ("GZ-SJ302", "2"),
        ("GZ-XX900", "2"),
    ]
    assert sum(v.credits for v in views) == committed.evaluation.recognised_credits
    for view in views:
        payload = json.loads(openings[view.ledger_index][1])
        assert payload["evaluation"] == committed.id
        assert payload["policy"]["id"] == "cq-3plus2-industrial-robotics"
        # Which records filled it stays in the evaluation: only how many.
        assert "inputs" not in payload and payload["sources"] == 1
        assert not {str(r) for r in bank.li_records} & set(json.dumps(payload).split('"'))


def test_transfers_are_on_the_transcript_and_verify(bank: Bank, committed: Committed) -> None:
    credential = issue(bank, language="en").credential
    transfers = _transfers(credential)
    assert len(transfers) == 4
    subject = transfers[0]["credentialSubject"]
    assert subject["creditsEarned"] == 4
    assert subject["achievement"]["humanCode"] == "GZ-JD102"
    assert subject["achievement"]["name"] == "Electrical and Electronic Technology"
    assert subject["achievement"]["nameZh"] == "电工电子技术"
    assert subject["achievement"]["achievementType"] == "Course"
    recognition = subject["transferRecognition"]
    assert recognition["evaluation"] == f"urn:uuid:{committed.id}"
    assert recognition["pathway"] == "3+2"
    assert recognition["basis"] == "recognised"
    assert transfers[-1]["credentialSubject"]["transferRecognition"]["basis"] == "catch_all"
    assert transfers[0]["evidence"][0]["ledgerEntry"]["kind"] == "transfer.recognised"
    report = verify(bank, credential)
    assert report.valid, report.to_json()
    assert report.records == len(bank.li_records) + 2 + 4  # records, 中职 courses, transfers


def test_the_printed_view_shows_transfers_with_their_credits(
    bank: Bank, committed: Committed
) -> None:
    chosen = [committed.transfers[0], committed.transfers[-1]]
    view = view_from_credential(issue(bank, records=chosen).credential)
    assert [(line.kind, line.name_zh, line.credits) for line in view.records] == [
        ("transfer", "电工电子技术", 4),
        ("transfer", "专业选修（转入学分）", 2),
    ]
    # Recognised credits are summed apart: their source outcomes may be on the transcript too.
    assert view.total_recognised == 6 and view.total_credits == 0 and view.has_transfers
    assert view.records[0].institution_zh == "重庆工程职业技术学院"


def test_a_transfer_alone_discloses_no_record(bank: Bank, committed: Committed) -> None:
    credential = issue(bank, records=[committed.transfers[0]]).credential
    assert len(credential["credentialSubject"]["verifiableCredential"]) == 1
    text = json.dumps(credential, ensure_ascii=False)
    with read_connection(bank.services.engine) as connection:
        record_ids = [r.id for r in learner_records(connection, bank.li)]
    for record_id in record_ids:
        assert record_id not in text
    for source_text in ("ZZ-JD102", "电工基础", "ZZ-TY101", "机械制图"):
        assert source_text not in text
    assert credential["partial"] is True
    assert verify(bank, credential).valid


def _first_transfer(credential: dict[str, Any]) -> dict[str, Any]:
    return _transfers(credential)[0]


TAMPERS: dict[str, tuple[Callable[[dict[str, Any]], None], set[str]]] = {
    "credits claimed": (
        lambda c: _first_transfer(c)["credentialSubject"].update(creditsEarned=8),
        {"outer signature", "nested signatures", "record content"},
    ),
    "policy version claimed": (
        lambda c: _first_transfer(c)["credentialSubject"]["transferRecognition"].update(
            policyVersion="2099.1"
        ),
        {"outer signature", "nested signatures", "record content"},
    ),
    "committed credits": (
        lambda c: _first_transfer(c)["evidence"][0]["ledgerPayload"].update(recognised_credits="8"),
        {"outer signature", "nested signatures", "commitment opening"},
    ),
    "entry kind": (
        lambda c: _first_transfer(c)["evidence"][0]["ledgerEntry"].update(kind="record.posted"),
        {"outer signature", "nested signatures", "inclusion proof"},
    ),
}


@pytest.mark.parametrize("what", list(TAMPERS))
def test_tampering_with_a_transfer_fails_and_names_the_check(
    bank: Bank, committed: Committed, what: str
) -> None:
    credential = copy.deepcopy(issue(bank, records=list(committed.transfers)).credential)
    alter, expected = TAMPERS[what]
    alter(credential)
    report = verify(bank, credential)
    assert set(report.failed) == expected, report.to_json()


def test_a_record_payload_presented_as_a_transfer_fails_on_content(
    bank: Bank, committed: Committed
) -> None:
    # A transfer credential whose evidence is swapped for a course record's (validly proven)
    # evidence: the claims no longer follow from what the log committed.
    credential = issue(bank, records=[committed.transfers[0], bank.li_records[0]]).credential
    nested = credential["credentialSubject"]["verifiableCredential"]
    nested[0]["evidence"] = copy.deepcopy(nested[1]["evidence"])
    report = verify(bank, credential)
    assert "record content" in report.failed
    assert "commitment opening" not in report.failed and "inclusion proof" not in report.failed


def test_a_later_evaluation_supersedes_transfers_and_revokes_their_transcripts(
    bank: Bank, committed: Committed
) -> None:
    shown = issue(bank, records=list(committed.transfers))
    records_only = issue(bank, records=bank.li_records[:2])
    later = recognise_transfers(bank, now=utc_now() + timedelta(seconds=1))
    assert not set(later.transfers) & set(committed.transfers)
    report = verify(bank, shown.credential)
    assert report.failed == ("status",)
    assert "revoked" in report.check("status").reason
    assert verify(bank, records_only.credential).valid
    with pytest.raises(InvalidInput) as refused:
        issue(bank, records=[committed.transfers[0]])
    assert refused.value.problems[0].reason == "is a superseded transfer"
    # With nothing chosen, only the standing transfers are taken.
    latest = issue(bank).credential
    ids = [t["credentialSubject"]["transferRecognition"]["evaluation"] for t in _transfers(latest)]
    assert ids == [f"urn:uuid:{later.id}"] * 4
    with read_connection(bank.services.engine) as connection:
        standing = learner_transfers(connection, bank.li, standing_only=True)
    assert [t.id for t in standing] == list(later.transfers)


def test_a_supersession_while_issuing_refuses_the_transcript(
    bank: Bank, committed: Committed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The transfers are read, then a later evaluation supersedes them before the transcript
    # is written: issuing must notice under the sequencer lock and write nothing.
    original = issuing.covering_checkpoint

    def superseding(*args: Any, **kwargs: Any) -> Any:
        recognise_transfers(bank, now=utc_now() + timedelta(seconds=1))
        return original(*args, **kwargs)

    monkeypatch.setattr(issuing, "covering_checkpoint", superseding)
    with read_connection(bank.services.engine) as connection:
        before = list_transcripts(connection, bank.li)
    with pytest.raises(Conflict, match="changed while the transcript was being issued"):
        issue(bank, records=[committed.transfers[0]])
    with read_connection(bank.services.engine) as connection:
        assert list_transcripts(connection, bank.li) == before
