"""A learner's rights over their data: the access log and correction requests.

``learner_access`` keeps every read of a learner's data an institution made under consent;
``correction_request`` a learner's requests that a record be corrected, with the answers.

Revision ID: 0020_data_rights
Revises: 0019_unlogged_registration
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_data_rights"
down_revision = "0019_unlogged_registration"
branch_labels = None
depends_on = None
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "learner_access",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), nullable=False),
        sa.Column("institution", sa.String(32), nullable=False),
        sa.Column("principal", sa.String(64), nullable=False),
        sa.Column("consent", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("resource", sa.String(100), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_learner_access_learner", "learner_access", ["learner", "at"])
    op.create_table(
        "correction_request",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("record", sa.String(36), sa.ForeignKey("outcome_record.id"), nullable=False),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("requested_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.Column("answered_index", sa.BigInteger(), nullable=True, unique=True),
        sa.Column("record_index", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_correction_request_record", "correction_request", ["record"])
    op.create_index(
        "ix_correction_request_institution", "correction_request", ["institution", "status"]
    )
    op.create_index(
        "ix_correction_request_learner", "correction_request", ["learner", "requested_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_correction_request_learner", "correction_request")
    op.drop_index("ix_correction_request_institution", "correction_request")
    op.drop_index("ix_correction_request_record", "correction_request")
    op.drop_table("correction_request")
    op.drop_index("ix_learner_access_learner", "learner_access")
    op.drop_table("learner_access")
