"""Recognised transfers (one log entry per recognised course) and the transcripts holding them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recognised_transfer",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("evaluation", sa.String(36), sa.ForeignKey("evaluation.id"), nullable=False),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("policy_id", sa.String(80), nullable=False),
        sa.Column("course_code", sa.String(40), nullable=False),
        sa.Column("credits", sa.String(16), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("superseded_by", sa.String(36), sa.ForeignKey("evaluation.id"), nullable=True),
    )
    op.create_index("ix_recognised_transfer_evaluation", "recognised_transfer", ["evaluation"])
    op.create_index("ix_recognised_transfer_learner", "recognised_transfer", ["learner"])
    op.create_table(
        "transcript_transfer",
        sa.Column("transcript", sa.String(36), sa.ForeignKey("transcript.id"), primary_key=True),
        sa.Column(
            "transfer", sa.String(36), sa.ForeignKey("recognised_transfer.id"), primary_key=True
        ),
    )
    op.create_index("ix_transcript_transfer_transfer", "transcript_transfer", ["transfer"])


def downgrade() -> None:
    op.drop_table("transcript_transfer")
    op.drop_table("recognised_transfer")
