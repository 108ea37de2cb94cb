"""Notices, the e-mail outbox, and the learner's optional e-mail address (sealed).

Revision ID: 0014_notices
Revises: 0013_client_issuance
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_notices"
down_revision = "0013_client_issuance"
branch_labels = None
depends_on = None
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("learner", sa.Column("email_sealed", sa.Text(), nullable=True))
    op.create_table(
        "notice",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read_at", TZ, nullable=True),
    )
    op.create_index("ix_notice_recipient", "notice", ["recipient_kind", "recipient", "created_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("notice", sa.String(36), sa.ForeignKey("notice.id"), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_due", "outbox")
    op.drop_table("outbox")
    op.drop_index("ix_notice_recipient", "notice")
    op.drop_table("notice")
    # In place (SQLite 3.35+ drops a column itself): a batch copy of ``learner`` would drop
    # the table that other tables' foreign keys name.
    op.drop_column("learner", "email_sealed")
