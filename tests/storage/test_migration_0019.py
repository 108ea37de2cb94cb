"""Migration 0019 lets an account have no log entry, keeping every account and what names it.

On SQLite the ``learner`` table is rebuilt under foreign keys that tokens name; the rows, the
tokens' references and the lookup's uniqueness must all come through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import column, insert, inspect, select, table, text
from sqlalchemy.exc import IntegrityError

from creditbank.config import Settings
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.storage.migrate import upgrade

BEFORE = "0018_authorship"
OPENED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
LEARNER = "a" * 36


def test_accounts_and_their_tokens_come_through(settings: Settings, engine_name: str) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    learner = table(
        "learner",
        *(
            column(name)
            for name in (
                "id",
                "lookup",
                "document_kind",
                "opened_by",
                "opened_at",
                "ledger_index",
                "assurance",
            )
        ),
    )
    token = table(
        "learner_token",
        *(column(n) for n in ("key_id", "learner", "secret_hash", "issued_at", "expires_at")),
    )
    try:
        upgrade(engine, BEFORE)
        with write_transaction(engine) as connection:
            connection.execute(
                insert(learner).values(
                    id=LEARNER,
                    lookup="1" * 64,
                    document_kind="resident_id",
                    opened_by="self",
                    opened_at=OPENED,
                    ledger_index=3,
                    assurance="self_asserted",
                )
            )
            connection.execute(
                insert(token).values(
                    key_id="k" * 16,
                    learner=LEARNER,
                    secret_hash="0" * 64,
                    issued_at=OPENED,
                    expires_at=OPENED + timedelta(hours=8),
                )
            )
        upgrade(engine, "head")
        with read_connection(engine) as connection:
            assert connection.execute(select(learner.c.ledger_index)).scalars().all() == [3]
            assert connection.execute(select(token.c.learner)).scalars().all() == [LEARNER]
            if engine.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        [ledger_index] = [
            c for c in inspect(engine).get_columns("learner") if c["name"] == "ledger_index"
        ]
        assert ledger_index["nullable"] is True
        with pytest.raises(IntegrityError), write_transaction(engine) as connection:
            connection.execute(  # the lookup is still unique
                insert(learner).values(
                    id="b" * 36,
                    lookup="1" * 64,
                    document_kind="resident_id",
                    opened_by="self",
                    opened_at=OPENED,
                    ledger_index=None,
                    assurance="self_asserted",
                )
            )
        with pytest.raises(IntegrityError), write_transaction(engine) as connection:
            connection.execute(  # and a token still needs its account
                insert(token).values(
                    key_id="j" * 16,
                    learner="c" * 36,
                    secret_hash="0" * 64,
                    issued_at=OPENED,
                    expires_at=OPENED,
                )
            )
    finally:
        engine.dispose()
