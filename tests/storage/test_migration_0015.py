"""Migration 0015 gives existing accounts their assurance, on both engines.

Accounts an institution opened become ``institution_verified``, bound by it when it opened
them; those the learner opened alone stay ``self_asserted``, holding nothing posted from now on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import column, insert, select, table

from creditbank.clock import as_utc
from creditbank.config import Settings
from creditbank.learners.tables import Learner
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.storage.migrate import upgrade
from creditbank.wiring import initialise

BEFORE = "0014_notices"
OPENED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _former_accounts(url: str) -> None:
    """Two accounts as revision 0014 stored them: one a school opened, one self-registered."""
    former = table(
        "learner",
        *(column(name) for name in ("id", "lookup", "document_kind", "opened_by", "opened_at")),
        column("ledger_index"),
    )
    engine = create_db_engine(url)
    try:
        upgrade(engine, BEFORE)
        with write_transaction(engine) as connection:
            connection.execute(
                insert(former),
                [
                    {
                        "id": "a" * 36,
                        "lookup": "1" * 64,
                        "document_kind": "resident_id",
                        "opened_by": "CQ-ZZ-001",
                        "opened_at": OPENED,
                        "ledger_index": 0,
                    },
                    {
                        "id": "b" * 36,
                        "lookup": "2" * 64,
                        "document_kind": "passport",
                        "opened_by": "self",
                        "opened_at": OPENED,
                        "ledger_index": 1,
                    },
                ],
            )
    finally:
        engine.dispose()


def test_existing_accounts_get_their_assurance(settings: Settings, engine_name: str) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    _former_accounts(settings.database_url)
    services = initialise(settings)  # migrates to head
    try:
        with read_connection(services.engine) as connection:
            learners = Learner.__table__  # type: ignore[attr-defined]
            rows = {row.id: row for row in connection.execute(select(learners))}
    finally:
        services.close()
    school, alone = rows["a" * 36], rows["b" * 36]
    assert (school.assurance, school.bound_by) == ("institution_verified", "CQ-ZZ-001")
    assert as_utc(school.bound_at) == OPENED
    assert (alone.assurance, alone.bound_by, alone.bound_at) == ("self_asserted", None, None)
    assert alone.set_aside_at is None and alone.merged_into is None
