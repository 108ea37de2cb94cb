"""The dashboard's indicators, kept by the refresh job rather than computed per page view.

Revision ID: 0017_indicator_snapshot
Revises: 0016_opening_erasure
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_indicator_snapshot"
down_revision = "0016_opening_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("indicator_snapshot")
