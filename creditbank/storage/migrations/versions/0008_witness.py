"""Witness cosignatures collected by the bank.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witness_cosignature",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(300), primary_key=True),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_witness_cosignature_witness_size", "witness_cosignature", ["witness", "size"]
    )


def downgrade() -> None:
    op.drop_table("witness_cosignature")
