"""Openings are deleted only after an erasure is recorded; erasures are append-only.

Until now a payload (``ledger_opening``) could be deleted by anyone with write access, and the
audit could not tell a learner's lawful erasure from a removed piece of evidence. An erasure is
now a row of ``ledger_erasure`` (index, time, reason); a trigger refuses to delete an opening
without one (and TRUNCATE on PostgreSQL), and the audit names an opening that is missing with
no erasure recorded. Checkpoints were already append-only (migration 0001).

Revision ID: 0016_opening_erasure
Revises: 0015_learner_assurance
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_opening_erasure"
down_revision = "0015_learner_assurance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_erasure",
        sa.Column(
            "idx",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("ledger_entry.idx"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER ledger_erasure_append_only BEFORE UPDATE OR DELETE ON ledger_erasure "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER ledger_erasure_no_truncate BEFORE TRUNCATE ON ledger_erasure "
            "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
        )
        op.execute(
            "CREATE FUNCTION creditbank_refuse_unrecorded_erasure() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM ledger_erasure WHERE idx = OLD.idx) THEN "
            "RAISE EXCEPTION 'ledger_opening is append-only: DELETE refused without an erasure "
            "record' USING ERRCODE = 'insufficient_privilege'; "
            "END IF; RETURN OLD; END $$"
        )
        op.execute(
            "CREATE TRIGGER ledger_opening_no_delete BEFORE DELETE ON ledger_opening "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_unrecorded_erasure()"
        )
        op.execute(
            "CREATE TRIGGER ledger_opening_no_truncate BEFORE TRUNCATE ON ledger_opening "
            "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_erasure_no_{operation.lower()} BEFORE {operation} "
                "ON ledger_erasure BEGIN SELECT RAISE(ABORT, "
                f"'ledger_erasure is append-only: {operation} refused'); END"
            )
        op.execute(
            "CREATE TRIGGER ledger_opening_no_delete BEFORE DELETE ON ledger_opening "
            "WHEN NOT EXISTS (SELECT 1 FROM ledger_erasure WHERE idx = OLD.idx) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_opening is append-only: DELETE refused without "
            "an erasure record'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_opening_no_truncate ON ledger_opening")
        op.execute("DROP TRIGGER ledger_opening_no_delete ON ledger_opening")
        op.execute("DROP FUNCTION creditbank_refuse_unrecorded_erasure()")
    else:
        op.execute("DROP TRIGGER ledger_opening_no_delete")
    op.drop_table("ledger_erasure")
