"""Published policy versions and committed evaluations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "policy_publication",
        sa.Column("policy_id", sa.String(80), primary_key=True),
        sa.Column("version", sa.String(40), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "evaluation",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("policy_id", sa.String(80), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("policy_hash", sa.String(64), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("exceptions", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("result_hash", sa.String(64), nullable=False),
        sa.Column("committed_by", sa.String(64), nullable=False),
        sa.Column("committed_at", TZ, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("appeal_of", sa.String(36), sa.ForeignKey("evaluation.id"), nullable=True),
    )
    op.create_index("ix_evaluation_learner", "evaluation", ["learner"])
    op.create_index("ix_evaluation_institution", "evaluation", ["institution"])


def downgrade() -> None:
    op.drop_table("evaluation")
    op.drop_table("policy_publication")
