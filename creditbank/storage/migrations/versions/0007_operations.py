"""Operations: job runs, the scheduler lease, audit progress, consent expiry, certificate flags.

Revision ID: 0007
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", BIG_SERIAL, primary_key=True),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(80), nullable=False),
        sa.UniqueConstraint("job", "slot", name="uq_job_run_slot"),
    )
    op.create_index("ix_job_run_job_started", "job_run", ["job", "started_at"])
    op.create_index("ix_job_run_started_at", "job_run", ["started_at"])
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(80), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("audited_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("last_leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("last_checkpoint_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("finding_index", sa.BigInteger(), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_pass_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "consent_expiry",
        sa.Column("consent", sa.String(36), sa.ForeignKey("consent.id"), primary_key=True),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "certificate_flag",
        sa.Column("record", sa.String(36), sa.ForeignKey("outcome_record.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("certificate_flag", "consent_expiry", "audit_state", "scheduler_lease"):
        op.drop_table(table)
    op.drop_table("job_run")
