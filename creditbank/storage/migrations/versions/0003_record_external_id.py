"""Records carry the posting institution's own id, unique per institution.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcome_record") as batch:
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
    op.create_index(
        "ux_outcome_record_external", "outcome_record", ["institution", "external_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_outcome_record_external", "outcome_record")
    with op.batch_alter_table("outcome_record") as batch:
        batch.drop_column("external_id")
