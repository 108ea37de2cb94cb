"""Transcripts, the records they disclose, and revocation status lists.

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "transcript_status_list",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("signed_digest", sa.String(64), nullable=True),
        sa.Column("credential", sa.Text(), nullable=True),
        sa.Column("signed_at", TZ, nullable=True),
    )
    op.create_table(
        "transcript",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("issued_at", TZ, nullable=False),
        sa.Column("valid_until", TZ, nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column(
            "status_list",
            sa.Integer(),
            sa.ForeignKey("transcript_status_list.id"),
            nullable=False,
        ),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("credential_sealed", sa.Text(), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_index", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("status_list", "status_index"),
    )
    op.create_index("ix_transcript_learner", "transcript", ["learner"])
    op.create_table(
        "transcript_record",
        sa.Column("transcript", sa.String(36), sa.ForeignKey("transcript.id"), primary_key=True),
        sa.Column("record", sa.String(36), sa.ForeignKey("outcome_record.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_transcript_record_record", "transcript_record", ["record"])


def downgrade() -> None:
    op.drop_table("transcript_record")
    op.drop_table("transcript")
    op.drop_table("transcript_status_list")
