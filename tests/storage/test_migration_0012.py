"""Migration 0012 gives every revoked transcript its revocation category, on both engines.

Transcripts are revoked the three ways (by the learner, by a record's revocation, by a
superseded transfer), the database is taken back to 0011 (the column dropped) and upgraded
again: the categories come back from the reasons the bank wrote, never from a learner's words.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.records.service import revoke_record
from creditbank.storage.database import read_connection
from creditbank.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from creditbank.transcripts.issued import revoke_transcript, transcript_t
from creditbank.wiring import Services
from tests.transcripts.helpers import POSTER, commit_transfers, dependents, issue, populate


def _categories(services: Services) -> dict[str, str | None]:
    with read_connection(services.engine) as connection:
        rows = connection.execute(select(transcript_t.c.id, transcript_t.c.revoked_category))
        return {row.id: row.revoked_category for row in rows}


def test_the_category_is_backfilled_from_the_banks_own_reasons(
    services: Services, engine_name: str
) -> None:
    bank = populate(services)
    withdrawn = issue(bank, records=bank.li_records[:1])
    # A learner's reason that reads like the bank's is still the learner's.
    revoke_transcript(
        services.ledger,
        services.issuer_identity(),
        withdrawn.id,
        bank.li,
        reason="record 1 revoked",
        now=utc_now(),
    )
    changed = issue(bank, records=bank.li_records[1:2])
    revoke_record(
        services.ledger,
        bank.li_records[1],
        institution=POSTER,
        reason="posted in error",
        now=utc_now(),
        revoke_dependents=dependents(services).of_record,
    )
    commit_transfers(services, bank.li)
    superseded = issue(bank, records=None)
    commit_transfers(services, bank.li)  # a later evaluation supersedes the transfers shown
    kept = issue(bank, records=bank.li_records[2:3])
    written = _categories(services)
    assert written == {
        withdrawn.id: "withdrawn_by_learner",
        changed.id: "record_changed",
        superseded.id: "transfer_superseded",
        kept.id: None,
    }

    command.downgrade(alembic_config(services.engine), "0011")
    assert current_revision(services.engine) == "0011"
    upgrade(services.engine)
    assert current_revision(services.engine) == head_revision(services.engine)
    assert _categories(services) == written
