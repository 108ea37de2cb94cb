"""Cohort evaluation jobs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("policy_id", sa.String(80), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("learners", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_cohort_job_institution", "cohort_job", ["institution"])
    op.create_index("ix_cohort_job_status", "cohort_job", ["status"])


def downgrade() -> None:
    op.drop_table("cohort_job")
