"""A learner's own registration is no longer logged: ``learner.ledger_index`` may be empty.

An account a learner opens alone is a claim nobody has confirmed; the public log records an
account only once an institution that saw the person opens it. Accounts registered before
keep the index of their ``learner.registration`` entry.

PostgreSQL drops the NOT NULL in place. SQLite cannot, and renaming the table aside would
rewrite the foreign keys of consents, tokens and records to follow it (with foreign keys on,
whatever ``legacy_alter_table`` says). So the rows are copied to a temporary table, ``learner``
is dropped and created again under its own name with deferred foreign-key checks, and refilled:
every reference finds its row again before the transaction ends, as the commit checks.

Revision ID: 0019_unlogged_registration
Revises: 0018_authorship
Create Date: 2026-12-07
"""

import re

from alembic import op
from sqlalchemy import text

revision = "0019_unlogged_registration"
down_revision = "0018_authorship"
branch_labels = None
depends_on = None


def _rebuild_sqlite_learner(*, nullable: bool) -> None:
    """Recreate SQLite's ``learner``, ``ledger_index`` nullable or not, keeping rows and indexes."""
    bind = op.get_bind()
    create = bind.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'learner'")
    ).scalar_one()
    indexes = bind.execute(
        text(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'learner' "
            "AND sql IS NOT NULL"
        )
    ).scalars()
    index_sql = list(indexes)
    column = re.compile(r"(ledger_index\s+BIGINT)(\s+NOT NULL)?", re.IGNORECASE)
    if column.search(create) is None:
        raise RuntimeError("learner.ledger_index not found in the stored table definition")
    rebuilt = column.sub(r"\1" if nullable else r"\1 NOT NULL", create, count=1)
    # The rows wait in a temporary copy; dropping ``learner`` leaves the rows that name it
    # without a parent, which deferred checking lets stand until its own rows are back.
    bind.execute(text("PRAGMA defer_foreign_keys = ON"))
    bind.execute(text("CREATE TEMPORARY TABLE learner_before_0019 AS SELECT * FROM learner"))
    bind.execute(text("DROP TABLE learner"))
    bind.execute(text(rebuilt))
    bind.execute(text("INSERT INTO learner SELECT * FROM learner_before_0019"))
    bind.execute(text("DROP TABLE learner_before_0019"))
    for sql in index_sql:
        bind.execute(text(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_learner(nullable=True)
    else:
        op.alter_column("learner", "ledger_index", nullable=True)


def downgrade() -> None:
    # Accounts registered since have no entry to point at: refuse rather than invent one.
    unlogged = (
        op.get_bind()
        .execute(text("SELECT count(*) FROM learner WHERE ledger_index IS NULL"))
        .scalar_one()
    )
    if unlogged:
        raise RuntimeError(
            f"{unlogged} self-registered accounts have no log entry; revision 0018 cannot hold them"
        )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_learner(nullable=False)
    else:
        op.alter_column("learner", "ledger_index", nullable=False)
