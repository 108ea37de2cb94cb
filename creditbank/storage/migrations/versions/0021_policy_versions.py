"""Policy versions published through the service: stored content, drafts, applies_on.

Evaluations and cohort jobs keep the entry or intake date that chose their version.

Revision ID: 0021_policy_versions
Revises: 0020_data_rights
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_policy_versions"
down_revision = "0020_data_rights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("policy_publication", sa.Column("content", sa.Text(), nullable=True))
    op.add_column("policy_publication", sa.Column("format", sa.String(8), nullable=True))
    op.add_column("policy_publication", sa.Column("source", sa.String(200), nullable=True))
    op.add_column("policy_publication", sa.Column("published_by", sa.String(64), nullable=True))
    op.add_column("evaluation", sa.Column("applies_on", sa.Date(), nullable=True))
    op.add_column("cohort_job", sa.Column("policy_version", sa.String(40), nullable=True))
    op.add_column("cohort_job", sa.Column("applies_on", sa.Date(), nullable=True))
    op.create_table(
        "policy_draft",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("policy_id", sa.String(80), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("cases", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("learners_shown", sa.Boolean(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_index", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_policy_draft_policy_id", "policy_draft", ["policy_id"])


def downgrade() -> None:
    op.drop_index("ix_policy_draft_policy_id", "policy_draft")
    op.drop_table("policy_draft")
    # Plain DROP COLUMN (SQLite 3.35+), never a rebuilt table: rebuilding evaluation would
    # drop the table recognised_transfer refers to.
    op.drop_column("evaluation", "applies_on")
    op.drop_column("cohort_job", "applies_on")
    op.drop_column("cohort_job", "policy_version")
    for column in ("published_by", "source", "format", "content"):
        op.drop_column("policy_publication", column)
