"""The ledger: entries, nodes, openings, checkpoints, head; append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("ledger_entry", "ledger_node", "ledger_checkpoint")
NO_UPDATE = ("ledger_opening",)


def _sqlite_triggers(table: str, operations: tuple[str, ...]) -> None:
    for operation in operations:
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        )


def _postgres_triggers(table: str, operations: tuple[str, ...]) -> None:
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(operations)} ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_change()"
    )
    if "DELETE" in operations:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
        )


def upgrade() -> None:
    op.create_table(
        "ledger_entry",
        sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "ledger_node",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "ledger_opening",
        sa.Column(
            "idx",
            sa.BigInteger(),
            sa.ForeignKey("ledger_entry.idx"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("salt", sa.LargeBinary(32), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("id", BIG_SERIAL, primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ledger_checkpoint_size", "ledger_checkpoint", ["size"])
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("last_leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )

    # The sequencer locks this one row; it exists from the start so no two first appends race.
    head = sa.table(
        "ledger_head",
        sa.column("id", sa.Integer()),
        sa.column("size", sa.BigInteger()),
        sa.column("root_hash", sa.LargeBinary()),
        sa.column("last_leaf_hash", sa.LargeBinary()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "size": 0,
                "root_hash": hashlib.sha256(b"").digest(),
                "last_leaf_hash": bytes(32),
                "updated_at": datetime.now(UTC),
            }
        ],
    )

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION creditbank_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table in APPEND_ONLY:
            _postgres_triggers(table, ("UPDATE", "DELETE"))
        for table in NO_UPDATE:
            _postgres_triggers(table, ("UPDATE",))
    else:
        for table in APPEND_ONLY:
            _sqlite_triggers(table, ("UPDATE", "DELETE"))
        for table in NO_UPDATE:
            _sqlite_triggers(table, ("UPDATE",))


def downgrade() -> None:
    for table in ("ledger_head", "ledger_checkpoint", "ledger_opening", "ledger_node"):
        op.drop_table(table)
    op.drop_table("ledger_entry")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS creditbank_refuse_change()")
