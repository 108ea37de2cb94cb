"""Who issued, accepted and revoked each API key, with the log entries that record it.

Keys issued before this revision were never recorded in the log, so who issued them is unknown:
they are marked ``legacy`` (issued and accepted by ``legacy``, no log index) and stay usable as
they were. An institution's admin sees them so marked in its key list and revokes any it does
not recognise. No log entry is written for them: the log records acts when they happen, and a
migration cannot say who acted.

Revision ID: 0013_client_issuance
Revises: 0012_revocation_category
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_client_issuance"
down_revision = "0012_revocation_category"
branch_labels = None
depends_on = None

LEGACY = "legacy"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.add_column(
            sa.Column("issued_by", sa.String(80), nullable=False, server_default=LEGACY)
        )
        batch.add_column(sa.Column("issued_index", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("bootstrap", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("accepted_at", TZ, nullable=True))
        batch.add_column(sa.Column("accepted_by", sa.String(80), nullable=True))
        batch.add_column(sa.Column("accepted_index", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(80), nullable=True))
        batch.add_column(sa.Column("revoked_index", sa.BigInteger(), nullable=True))
    client = sa.table(
        "api_client",
        sa.column("created_at", TZ),
        sa.column("accepted_at", TZ),
        sa.column("accepted_by", sa.String(80)),
        sa.column("revoked_at", TZ),
        sa.column("revoked_by", sa.String(80)),
    )
    op.execute(client.update().values(accepted_at=client.c.created_at, accepted_by=LEGACY))
    op.execute(client.update().where(client.c.revoked_at.is_not(None)).values(revoked_by=LEGACY))
    # The defaults only filled the existing rows: every new key names who issued it.
    with op.batch_alter_table("api_client") as batch:
        batch.alter_column("issued_by", server_default=None)
        batch.alter_column("bootstrap", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        for name in (
            "revoked_index",
            "revoked_by",
            "accepted_index",
            "accepted_by",
            "accepted_at",
            "bootstrap",
            "issued_index",
            "issued_by",
        ):
            batch.drop_column(name)
