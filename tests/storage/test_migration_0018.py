"""Migration 0018 gives records already stored their poster and source, on both engines.

Records are posted, the schema is taken back to 0017 (where a record had neither column),
one record's institution is made to disagree with its batch, and upgrading again sets each
record's poster from the batch that recorded it and keeps its source: a course's
``source_institution`` (even a code that is no member), the poster for other kinds.
"""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import select, text, update

from creditbank.clock import utc_now
from creditbank.identity.documents import parse_document
from creditbank.identity.principals import CONSOLE_ACTOR
from creditbank.institutions.service import InstitutionInfo, register_institution
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import BatchRequest, NewRecord, post_batch, record_t, version_t
from creditbank.storage.database import write_transaction
from creditbank.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from creditbank.wiring import Services
from tests.records.outcome_items import CERTIFICATE, COURSE
from tests.transcripts.helpers import resident_id

NOW = utc_now()


def test_stored_records_get_their_poster_and_keep_their_source(
    services: Services, engine_name: str
) -> None:
    ledger = services.ledger
    for code in ("CQ-GZ-001", "SC-GZ-001"):
        info = InstitutionInfo(code, "学院", "College", "gaozhi_college", "gaozhi", "重庆")
        register_institution(ledger, info, actor=CONSOLE_ACTOR, now=NOW)
    person = NewLearner("李明", parse_document("resident_id", resident_id("123"), today=NOW.date()))
    [account] = open_accounts(
        ledger, services.sealer, [person], opened_by="CQ-GZ-001", actor="test", now=NOW
    )
    course = parse_outcome({**COURSE, "source_institution": "CQ-GZ-001"}, today=NOW.date())
    certificate = parse_outcome(CERTIFICATE, today=NOW.date())
    records = [NewRecord(account.learner_id, course), NewRecord(account.learner_id, certificate)]
    answer = post_batch(ledger, BatchRequest("CQ-GZ-001", "c", "k1", b"{}", records), now=NOW)
    course_id, certificate_id = (r["id"] for r in answer.body["records"])

    engine = services.engine
    command.downgrade(alembic_config(engine), "0017_indicator_snapshot")
    with write_transaction(engine) as connection:
        # Before 0018 nothing checked a source: a stored course may name a non-member.
        # (Contents are sealed under the learner's key since 0019; written as 0017 kept them.)
        content = {**course.to_payload(), "source_institution": "ZZ-GONE-001"}
        connection.execute(
            update(version_t)
            .where(version_t.c.record == course_id)
            .values(content=json.dumps(content, ensure_ascii=False))
        )
        connection.execute(
            text("UPDATE outcome_record SET institution = 'SC-GZ-001' WHERE id = :id"),
            {"id": certificate_id},
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        rows = {
            row.id: (row.institution, row.source, row.delegation)
            for row in connection.execute(select(record_t))
        }
    assert rows == {
        course_id: ("CQ-GZ-001", "ZZ-GONE-001", None),
        certificate_id: ("CQ-GZ-001", "CQ-GZ-001", None),
    }
