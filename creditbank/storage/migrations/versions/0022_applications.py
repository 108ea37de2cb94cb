"""Recognition as a process: transfers under review, learners' appeals, applications and 公示.

Revision ID: 0022_applications
Revises: 0021_policy_versions
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_applications"
down_revision = "0021_policy_versions"
branch_labels = None
depends_on = None
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("recognised_transfer", sa.Column("review_change", sa.Text(), nullable=True))
    op.add_column("recognised_transfer", sa.Column("review_since", TZ, nullable=True))
    op.add_column("recognised_transfer", sa.Column("review_index", sa.BigInteger(), nullable=True))
    op.add_column("evaluation", sa.Column("appeal_reason", sa.Text(), nullable=True))
    # The default only lets SQLite add a NOT NULL column; the code always writes one.
    op.add_column(
        "institution",
        sa.Column("notice_days", sa.Integer(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("institution", "notice_days", server_default=None)
    op.create_table(
        "application",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("policy_id", sa.String(80), nullable=False),
        sa.Column("records", sa.Text(), nullable=False),
        sa.Column("consent", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("exceptions", sa.Text(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("public_name", sa.String(40), nullable=True),
        sa.Column("notice_until", TZ, nullable=True),
        sa.Column("evaluation", sa.String(36), sa.ForeignKey("evaluation.id"), nullable=True),
        sa.Column("applied_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("last_index", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_application_learner", "application", ["learner"])
    op.create_index("ix_application_institution", "application", ["institution"])
    op.create_index("ix_application_state", "application", ["state"])
    op.create_table(
        "application_step",
        sa.Column("ledger_index", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("application", sa.String(36), sa.ForeignKey("application.id"), nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_application_step_application", "application_step", ["application"])
    op.create_table(
        "application_objection",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application", sa.String(36), sa.ForeignKey("application.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lodged_at", TZ, nullable=False),
        sa.Column("lodged_index", sa.BigInteger(), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("resolved_index", sa.BigInteger(), nullable=True),
    )
    op.create_index(
        "ix_application_objection_application", "application_objection", ["application"]
    )


def downgrade() -> None:
    op.drop_index("ix_application_objection_application", "application_objection")
    op.drop_table("application_objection")
    op.drop_index("ix_application_step_application", "application_step")
    op.drop_table("application_step")
    op.drop_index("ix_application_state", "application")
    op.drop_index("ix_application_institution", "application")
    op.drop_index("ix_application_learner", "application")
    op.drop_table("application")
    op.drop_column("institution", "notice_days")
    op.drop_column("evaluation", "appeal_reason")
    op.drop_column("recognised_transfer", "review_index")
    op.drop_column("recognised_transfer", "review_since")
    op.drop_column("recognised_transfer", "review_change")
