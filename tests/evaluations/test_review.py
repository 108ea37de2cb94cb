"""Transfers under review: a source changed under a committed transfer (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.errors import Conflict, Forbidden, InvalidInput
from creditbank.evaluations.review import confirm_transfer, review_queue
from creditbank.evaluations.service import Committed
from creditbank.evaluations.transfers import learner_transfers
from creditbank.learners.service import list_consents, withdraw_consent
from creditbank.ledger.envelope import decode_envelope
from creditbank.ledger.store import entry_t
from creditbank.notices.service import Recipient, list_notices
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import correct_record, learner_records, revoke_record
from creditbank.storage.database import read_connection
from creditbank.transcripts.selection import Disclosed, select_items
from creditbank.wiring import Services
from tests.transcripts.helpers import (
    CERTIFICATE,
    OTHER,
    POSTER,
    Bank,
    dependents,
    issue,
    populate,
    recognise_transfers,
    verify,
)


@pytest.fixture
def bank(services: Services, engine_name: str) -> Bank:
    return populate(services)


@pytest.fixture
def committed(bank: Bank) -> Committed:
    return recognise_transfers(bank)


def _kinds(bank: Bank) -> list[str]:
    with read_connection(bank.services.engine) as connection:
        return [
            decode_envelope(d).kind
            for d in connection.execute(select(entry_t.c.data).order_by(entry_t.c.idx)).scalars()
        ]


def _statuses(bank: Bank) -> dict[str, str]:
    with read_connection(bank.services.engine) as connection:
        return {t.course_code: t.status for t in learner_transfers(connection, bank.li)}


def _certificate(bank: Bank) -> str:
    return bank.li_records[-1]  # posted by OTHER; it fills GZ-JD201


def test_revoking_a_record_puts_only_the_transfer_it_filled_under_review(
    bank: Bank, committed: Committed
) -> None:
    shown = issue(bank, records=list(committed.transfers))
    records_only = issue(bank, records=bank.li_records[:2])
    before = len(_kinds(bank))
    revoke_record(
        bank.services.ledger,
        _certificate(bank),
        institution=OTHER,
        reason="证书编号有误",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    assert _statuses(bank) == {
        "GZ-JD102": "standing",
        "GZ-JD201": "under_review",
        "GZ-SJ302": "standing",
        "GZ-XX900": "standing",
    }
    # One transaction: the revocation, the review entry, and the transcript revoked.
    assert _kinds(bank)[before:] == [
        "record.revoked",
        "transfer.under_review",
        "transcript.revoked",
    ]
    report = verify(bank.services, shown.credential)
    assert report.failed == ("status",)
    assert verify(bank.services, records_only.credential).valid
    # A new transcript cannot include it; with nothing chosen it is left out.
    under_review = next(t for t in committed.transfers if _is(bank, t, "GZ-JD201"))
    with pytest.raises(InvalidInput) as refused:
        issue(bank, records=[under_review])
    assert refused.value.problems[0].reason.startswith("is under review")
    ids = [item.id for item in _issued_items(bank)]
    assert under_review not in ids
    # The registrar's queue lists it with the change; the learner was told why.
    with read_connection(bank.services.engine) as connection:
        queue = review_queue(connection, POSTER)
        notices = list_notices(connection, Recipient.LEARNER, bank.li)
        registrar = list_notices(connection, Recipient.INSTITUTION, POSTER)
    assert [n.kind.value for n in registrar] == ["transfers_under_review"]
    assert [(q.transfer, q.change["kind"], q.change["reason"]) for q in queue] == [
        (under_review, "record_revoked", "证书编号有误")
    ]
    assert queue[0].change["record"] == _certificate(bank)
    told = [n for n in notices if n.kind.value == "transfers_under_review"]
    assert len(told) == 1
    assert "GZ-JD201" in told[0].body("zh") and "证书编号有误" in told[0].body("zh")
    assert "was revoked" in told[0].body("en")


def _is(bank: Bank, transfer_id: str, course: str) -> bool:
    with read_connection(bank.services.engine) as connection:
        return any(
            t.id == transfer_id and t.course_code == course
            for t in learner_transfers(connection, bank.li)
        )


def _issued_items(bank: Bank) -> list[Disclosed]:
    with read_connection(bank.services.engine) as connection:
        return list(
            select_items(
                learner_records(connection, bank.li), learner_transfers(connection, bank.li), None
            )
        )


def test_the_registrar_confirms_with_a_reason_and_it_stands_again(
    bank: Bank, committed: Committed
) -> None:
    revoke_record(
        bank.services.ledger,
        _certificate(bank),
        institution=OTHER,
        reason="重复登记",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    target = next(t for t in committed.transfers if _is(bank, t, "GZ-JD201"))
    with pytest.raises(Forbidden):
        confirm_transfer(
            bank.services.ledger,
            target,
            institution=OTHER,
            actor=f"institution:{OTHER}",
            reason="x",
            now=utc_now(),
        )
    index = confirm_transfer(
        bank.services.ledger,
        target,
        institution=POSTER,
        actor=f"institution:{POSTER}",
        reason="同一证书另有有效记录",
        now=utc_now(),
    )
    assert _kinds(bank)[index] == "transfer.confirmed"
    assert _statuses(bank)["GZ-JD201"] == "standing"
    with read_connection(bank.services.engine) as connection:
        assert review_queue(connection, POSTER) == []
    assert issue(bank, records=[target]).credential  # a transcript may include it again
    with pytest.raises(Conflict):
        confirm_transfer(
            bank.services.ledger,
            target,
            institution=POSTER,
            actor=f"institution:{POSTER}",
            reason="again",
            now=utc_now(),
        )


def test_a_correction_reviews_and_a_recommit_supersedes(bank: Bank, committed: Committed) -> None:
    corrected = parse_outcome({**CERTIFICATE, "level": "gaoji"}, today=utc_now().date())
    correct_record(
        bank.services.ledger,
        _certificate(bank),
        corrected,
        institution=OTHER,
        reason="等级更正",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    with read_connection(bank.services.engine) as connection:
        queue = review_queue(connection, POSTER)
    assert [q.change["kind"] for q in queue] == ["record_corrected"]
    later = recognise_transfers(bank, now=utc_now() + timedelta(seconds=1))
    with read_connection(bank.services.engine) as connection:
        assert review_queue(connection, POSTER) == []
        standing = learner_transfers(connection, bank.li, standing_only=True)
    assert {t.evaluation for t in standing} == {later.id}


def test_a_record_no_transfer_used_changes_no_transfer(bank: Bank, committed: Committed) -> None:
    # 机械制图0 is a 高职 course: the 3+2 policy recognises none of li's 高职 courses.
    revoke_record(
        bank.services.ledger,
        bank.li_records[0],
        institution=POSTER,
        reason="误录",
        now=utc_now(),
        revoke_dependents=dependents(bank.services).of_record,
    )
    assert set(_statuses(bank).values()) == {"standing"}
    assert "transfer.under_review" not in _kinds(bank)


def test_withdrawing_the_evaluate_consent_reviews_every_transfer_it_covered(
    bank: Bank, committed: Committed
) -> None:
    shown = issue(bank, records=[committed.transfers[0]])
    with read_connection(bank.services.engine) as connection:
        consent = next(c for c in list_consents(connection, bank.li) if c.institution == POSTER)
    withdraw_consent(
        bank.services.ledger,
        bank.li,
        consent.id,
        now=utc_now(),
        after_withdrawal=dependents(bank.services).of_consent,
    )
    assert set(_statuses(bank).values()) == {"under_review"}
    with read_connection(bank.services.engine) as connection:
        queue = review_queue(connection, POSTER)
    assert [q.change["kind"] for q in queue] == ["consent_withdrawn"] * 4
    assert verify(bank.services, shown.credential).failed == ("status",)
