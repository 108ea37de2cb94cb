"""The printable view read off an issued transcript."""

from __future__ import annotations

from decimal import Decimal

from creditbank.transcripts.view import view_from_credential
from creditbank.wiring import Services
from tests.transcripts.helpers import issue, populate


def test_the_view_shows_every_record_with_totals(services: Services) -> None:
    bank = populate(services, courses=3)
    issued = issue(bank, language="en")
    view = view_from_credential(issued.credential)
    assert view.learner_name == "李明"
    assert view.learner_reference == f"urn:uuid:{bank.li}"
    assert view.verification_code == issued.code
    assert view.verification_url.endswith(f"/verify/{issued.code}")
    assert len(view.records) == 6
    course = view.records[0]
    assert (course.kind, course.name_zh, course.name_en) == (
        "course",
        "机械制图0",
        "Mechanical Drawing 0",
    )
    assert course.institution_zh == "重庆工程职业技术学院"
    assert (course.credits, course.hours, course.term) == (Decimal(4), 64, "2024-2025-1")
    assert course.awarded_on is not None and course.awarded_on.isoformat() == "2025-01-10"
    assert view.total_credits == Decimal("11.5")  # 4 + 3.5 + 4
    assert view.total_hours == 64 * 3 + 160
    assert view.valid_until > view.valid_from
    assert view.checkpoint_size > max(line.ledger_index for line in view.records)
