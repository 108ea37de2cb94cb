"""Authorship: delegations between members, members leaving, and each record's source.

Records already stored keep their source (a course's ``source_institution``, the poster for
other kinds) and get their poster from the batch that recorded them.

Revision ID: 0018_authorship
Revises: 0017_indicator_snapshot
Create Date: 2026-12-07
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0018_authorship"
down_revision = "0017_indicator_snapshot"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("institution", sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("institution", sa.Column("left_index", sa.BigInteger(), nullable=True))
    op.create_table(
        "delegation",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("delegator", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("delegate", sa.String(32), sa.ForeignKey("institution.code"), nullable=False),
        sa.Column("kinds", sa.String(64), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(64), nullable=True),
        sa.Column("ended_index", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_delegation_delegator", "delegation", ["delegator"])
    op.create_index("ix_delegation_delegate", "delegation", ["delegate"])
    # Plain ADD COLUMN, never a rebuilt table: on SQLite a rebuild drops outcome_record,
    # which record_version's rows refer to. The default only lets SQLite add a NOT NULL
    # column; every row gets its source below, and the code always writes one.
    op.add_column(
        "outcome_record", sa.Column("source", sa.String(32), nullable=False, server_default="")
    )
    # No foreign key either: SQLite drops a column only when nothing constrains it.
    op.add_column("outcome_record", sa.Column("delegation", sa.String(36), nullable=True))
    _fill_authorship()
    # No foreign key on ``source``: a record stored before sources were checked may name a
    # code that was never a member, and keeps it (new records are checked when posted).
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("outcome_record", "source", server_default=None)
    op.create_index("ix_outcome_record_source", "outcome_record", ["source"])


def _fill_authorship() -> None:
    """Each stored record's poster from its batch, and its source from its current content."""
    connection = op.get_bind()
    record = sa.table(
        "outcome_record",
        sa.column("id"),
        sa.column("institution"),
        sa.column("source"),
        sa.column("batch"),
        sa.column("version"),
    )
    batch = sa.table("record_batch", sa.column("id"), sa.column("institution"))
    version = sa.table(
        "record_version", sa.column("record"), sa.column("version"), sa.column("content")
    )
    rows = connection.execute(
        sa.select(
            record.c.id,
            record.c.institution,
            batch.c.institution.label("poster"),
            version.c.content,
        ).select_from(
            record.outerjoin(batch, batch.c.id == record.c.batch).join(
                version,
                (version.c.record == record.c.id) & (version.c.version == record.c.version),
            )
        )
    ).all()
    for row in rows:
        poster = row.poster or row.institution
        # Sealed under the learner's key (0019, taken down and up again): only the poster is
        # known here, and it is the source of every record that was not delegated.
        content = json.loads(row.content) if row.content.startswith("{") else {}
        source = content.get("source_institution") or poster
        connection.execute(
            sa.update(record).where(record.c.id == row.id).values(institution=poster, source=source)
        )


def downgrade() -> None:
    op.drop_index("ix_outcome_record_source", "outcome_record")
    op.drop_column("outcome_record", "delegation")
    op.drop_column("outcome_record", "source")
    op.drop_table("delegation")
    op.drop_column("institution", "left_index")
    op.drop_column("institution", "left_at")
