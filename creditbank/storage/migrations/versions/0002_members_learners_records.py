"""Member institutions, API clients and signing keys; learners, tokens, consents; records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("require_signed_batches", sa.Boolean(), nullable=False),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "api_client",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_index("ix_api_client_institution", "api_client", ["institution"])
    op.create_table(
        "institution_key",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("added_at", TZ, nullable=False),
        sa.Column("added_index", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("revoked_index", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_institution_key_institution", "institution_key", ["institution"])
    op.create_table(
        "learner",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("lookup", sa.String(64), nullable=False, unique=True),
        sa.Column("document_kind", sa.String(32), nullable=False),
        sa.Column("name_sealed", sa.Text(), nullable=True),
        sa.Column("document_sealed", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("activation_hash", sa.String(64), nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "learner_token",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_index("ix_learner_token_learner", "learner_token", ["learner"])
    op.create_table(
        "consent",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_until", TZ, nullable=False),
        sa.Column("granted_index", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_at", TZ, nullable=True),
        sa.Column("withdrawn_index", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_consent_learner", "consent", ["learner"])
    op.create_index("ix_consent_institution", "consent", ["institution"])
    op.create_table(
        "record_batch",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("signing_key", sa.String(16), nullable=True),
        sa.Column("signature", sa.String(128), nullable=True),
        sa.Column("posted_by", sa.String(32), nullable=False),
        sa.Column("posted_at", TZ, nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("first_index", sa.BigInteger(), nullable=False),
        sa.Column("size_after", sa.BigInteger(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.UniqueConstraint("institution", "idempotency_key"),
    )
    op.create_table(
        "outcome_record",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("learner", sa.String(36), sa.ForeignKey("learner.id"), nullable=False),
        sa.Column("institution", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("posted_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("batch", sa.String(36), sa.ForeignKey("record_batch.id"), nullable=True),
    )
    op.create_index("ix_outcome_record_learner", "outcome_record", ["learner"])
    op.create_index("ix_outcome_record_institution", "outcome_record", ["institution"])
    op.create_table(
        "record_version",
        sa.Column("record", sa.String(36), sa.ForeignKey("outcome_record.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False, unique=True),
    )


def downgrade() -> None:
    for table in (
        "record_version",
        "outcome_record",
        "record_batch",
        "consent",
        "learner_token",
        "learner",
        "institution_key",
        "api_client",
        "institution",
    ):
        op.drop_table(table)
