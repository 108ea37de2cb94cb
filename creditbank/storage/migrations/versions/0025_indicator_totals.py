"""The dashboard's figures as running totals, advanced from a ledger-index mark.

``indicator_total`` holds each count (figure, key); ``indicator_record`` and
``indicator_learner`` what the totals count per active record and per learner;
``indicator_mark`` the last record version and evaluation counted. They start empty at mark
-1: the first refresh after this migration counts the existing records once, and every
later one only what changed since.

Revision ID: 0025_indicator_totals
Revises: 0024_log_partitions
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_indicator_totals"
down_revision = "0024_log_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    mark = op.create_table(
        "indicator_mark",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("records_index", sa.BigInteger(), nullable=False),
        sa.Column("evaluations_index", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(mark, [{"id": 1, "records_index": -1, "evaluations_index": -1}])
    op.create_table(
        "indicator_total",
        sa.Column("figure", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("tally", sa.BigInteger(), nullable=False),
        sa.Column("credits", sa.Text(), nullable=True),
    )
    op.create_table(
        "indicator_record",
        sa.Column("record", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "indicator_learner",
        sa.Column("learner", sa.String(36), primary_key=True),
        sa.Column("records", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in ("indicator_learner", "indicator_record", "indicator_total", "indicator_mark"):
        op.drop_table(table)
