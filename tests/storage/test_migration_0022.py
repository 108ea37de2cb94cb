"""Migration 0022 goes down and up again with data in its tables, on both engines."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from creditbank.evaluations.tables import RecognisedTransfer
from creditbank.institutions.tables import Institution
from creditbank.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from creditbank.wiring import Services
from tests.transcripts.helpers import populate, recognise_transfers

transfer_t = RecognisedTransfer.__table__  # type: ignore[attr-defined]
institution_t = Institution.__table__  # type: ignore[attr-defined]


def test_downgrade_drops_the_new_tables_and_columns_and_upgrade_restores_them(
    services: Services, engine_name: str
) -> None:
    bank = populate(services)
    committed = recognise_transfers(bank)
    engine = services.engine
    command.downgrade(alembic_config(engine), "0021_policy_versions")
    names = inspect(engine).get_table_names()
    assert "application" not in names and "application_objection" not in names
    columns = {c["name"] for c in inspect(engine).get_columns("recognised_transfer")}
    assert "review_since" not in columns
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        kept = connection.execute(
            select(transfer_t.c.id, transfer_t.c.review_since).order_by(transfer_t.c.ledger_index)
        ).all()
        days = set(connection.execute(select(institution_t.c.notice_days)).scalars())
    assert [row.id for row in kept] == list(committed.transfers)
    assert {row.review_since for row in kept} == {None}
    assert days == {0}  # every institution starts with no public notice period
