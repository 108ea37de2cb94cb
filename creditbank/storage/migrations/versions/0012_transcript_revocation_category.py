"""The category of a transcript's revocation, which a verifier may be told (never the free text).

Rows revoked earlier get their category from the reason the bank itself wrote: a record's
correction or revocation (``record … corrected|revoked``), a superseded transfer
(``recognised transfer superseded …``); any other reason was the learner's own.

Revision ID: 0012_revocation_category
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_revocation_category"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transcript") as batch:
        batch.add_column(sa.Column("revoked_category", sa.String(32), nullable=True))
    transcript = sa.table(
        "transcript",
        sa.column("revoked_at", sa.DateTime()),
        sa.column("revoked_reason", sa.Text()),
        sa.column("revoked_category", sa.String(32)),
    )
    revoked = transcript.c.revoked_at.is_not(None)
    reason = transcript.c.revoked_reason
    op.execute(
        transcript.update()
        .where(revoked, reason.like("recognised transfer superseded%"))
        .values(revoked_category="transfer_superseded")
    )
    op.execute(
        transcript.update()
        .where(
            revoked,
            reason.like("record %"),
            sa.or_(reason.like("% corrected"), reason.like("% revoked")),
        )
        .values(revoked_category="record_changed")
    )
    op.execute(
        transcript.update()
        .where(revoked, transcript.c.revoked_category.is_(None))
        .values(revoked_category="withdrawn_by_learner")
    )


def downgrade() -> None:
    with op.batch_alter_table("transcript") as batch:
        batch.drop_column("revoked_category")
