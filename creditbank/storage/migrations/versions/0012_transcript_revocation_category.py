"""The category of a transcript's revocation, which a verifier may be told (never the free text).

Rows revoked earlier get their category from the revocation's own log entry: its actor is
``learner`` when the learner withdrew it; otherwise the bank wrote the reason, for a
superseded transfer (``recognised transfer superseded …``) or for a record corrected or
revoked (anything else it writes).

Revision ID: 0012_revocation_category
Revises: 0011
Create Date: 2026-12-07
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0012_revocation_category"
down_revision = "0011"
branch_labels = None
depends_on = None

_transcript = sa.table(
    "transcript",
    sa.column("id", sa.String(36)),
    sa.column("revoked_reason", sa.Text()),
    sa.column("revoked_index", sa.BigInteger()),
    sa.column("revoked_category", sa.String(32)),
)
_entry = sa.table("ledger_entry", sa.column("idx", sa.BigInteger()), sa.column("data"))


def _category(actor: object, reason: str | None) -> str:
    if actor == "learner":
        return "withdrawn_by_learner"
    if (reason or "").startswith("recognised transfer superseded"):
        return "transfer_superseded"
    return "record_changed"


def upgrade() -> None:
    # A plain ADD/DROP COLUMN (SQLite 3.35+): rebuilding the table would break its references.
    op.add_column("transcript", sa.Column("revoked_category", sa.String(32), nullable=True))
    connection = op.get_bind()
    revoked = connection.execute(
        sa.select(_transcript.c.id, _transcript.c.revoked_reason, _entry.c.data)
        .join(_entry, _entry.c.idx == _transcript.c.revoked_index)
        .where(_transcript.c.revoked_index.is_not(None))
    ).all()
    for row in revoked:
        actor = json.loads(bytes(row.data)).get("actor")
        connection.execute(
            sa.update(_transcript)
            .where(_transcript.c.id == row.id)
            .values(revoked_category=_category(actor, row.revoked_reason))
        )


def downgrade() -> None:
    op.drop_column("transcript", "revoked_category")
