"""Learners' identity assurance: who bound each account, set-aside claims and merged aliases.

``merged_into`` has no foreign key: adding one would make SQLite rebuild the table, which its
enforced foreign keys from tokens, consents and records forbid; the merge writes it checked.

Existing accounts opened by an institution become ``institution_verified``, bound by that
institution when it opened them; those the learner opened alone stay ``self_asserted``.

Revision ID: 0015_learner_assurance
Revises: 0014_notices
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_learner_assurance"
down_revision = "0014_notices"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("learner") as batch:
        batch.add_column(
            sa.Column("assurance", sa.String(32), nullable=False, server_default="self_asserted")
        )
        batch.add_column(sa.Column("bound_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("bound_at", TZ, nullable=True))
        batch.add_column(sa.Column("set_aside_lookup", sa.String(64), nullable=True))
        batch.add_column(sa.Column("set_aside_at", TZ, nullable=True))
        batch.add_column(sa.Column("set_aside_index", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("merged_into", sa.String(36), nullable=True))
        batch.add_column(sa.Column("merged_index", sa.BigInteger(), nullable=True))
    op.create_index("ix_learner_set_aside_lookup", "learner", ["set_aside_lookup"])
    learner = sa.table(
        "learner",
        sa.column("opened_by", sa.String),
        sa.column("opened_at", TZ),
        sa.column("assurance", sa.String),
        sa.column("bound_by", sa.String),
        sa.column("bound_at", TZ),
    )
    op.execute(
        learner.update()
        .where(learner.c.opened_by != "self")
        .values(
            assurance="institution_verified",
            bound_by=learner.c.opened_by,
            bound_at=learner.c.opened_at,
        )
    )


def downgrade() -> None:
    op.drop_index("ix_learner_set_aside_lookup", "learner")
    # In place (SQLite 3.35+ drops a column itself): a batch copy of ``learner`` would drop
    # the table that other tables' foreign keys name.
    for column in (
        "merged_index",
        "merged_into",
        "set_aside_index",
        "set_aside_at",
        "set_aside_lookup",
        "bound_at",
        "bound_by",
        "assurance",
    ):
        op.drop_column("learner", column)
