"""On PostgreSQL the log's entries, openings and nodes are partitioned by index range.

``ledger_entry`` and ``ledger_opening`` become ``PARTITION BY RANGE (idx)`` and ``ledger_node``
``PARTITION BY RANGE (id)``; partition *k* holds leaves ``[k·N, (k+1)·N)`` (node ids twice
those), N = 2^20 unless ``CREDITBANK_LOG_PARTITION_LEAVES`` (a power of two) says otherwise
when this migration runs. Every row is copied into the new tables in this one transaction,
with partitions for the stored log and two more ahead (the ``partitions`` job keeps it so).

The append-only triggers are declared on the new parents (row triggers: PostgreSQL clones
them to every partition, later ones included) and a TRUNCATE refusal on every partition
(statement triggers are not cloned). SQLite keeps its tables: nothing changes there.

Downgrading copies the rows back into plain tables with the triggers of migrations 0001/0016.

Revision ID: 0024_log_partitions
Revises: 0023_learner_keys
Create Date: 2026-12-07
"""

import os

from alembic import op

revision = "0024_log_partitions"
down_revision = "0023_learner_keys"
branch_labels = None
depends_on = None

DEFAULT_LEAVES = 1 << 20
AHEAD = 2
COLUMNS = {
    "ledger_entry": "idx BIGINT NOT NULL, leaf_hash BYTEA NOT NULL, data BYTEA NOT NULL",
    "ledger_opening": "idx BIGINT NOT NULL, salt BYTEA NOT NULL, payload BYTEA NOT NULL",
    "ledger_node": "id BIGINT NOT NULL, hash BYTEA NOT NULL",
}
KEY = {"ledger_entry": "idx", "ledger_opening": "idx", "ledger_node": "id"}
SPAN = {"ledger_entry": 1, "ledger_opening": 1, "ledger_node": 2}
ORDER = ("ledger_entry", "ledger_opening", "ledger_node")
FOREIGN_KEYS = {
    "ledger_opening_idx_fkey": "ledger_opening",
    "ledger_erasure_idx_fkey": "ledger_erasure",
    "ledger_sealed_opening_idx_fkey": "ledger_sealed_opening",
}
# Tables outside the partitioned three whose rows name an entry: their keys are made again.
REFERRING = ("ledger_erasure", "ledger_sealed_opening")


def _leaves() -> int:
    raw = os.environ.get("CREDITBANK_LOG_PARTITION_LEAVES", "")
    leaves = int(raw) if raw else DEFAULT_LEAVES
    if leaves < 16 or leaves & (leaves - 1):
        raise ValueError(f"CREDITBANK_LOG_PARTITION_LEAVES must be a power of two >= 16: {raw}")
    return leaves


def _drop_foreign_keys() -> None:
    for name, table in FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


def _refer_again() -> None:
    for table in REFERRING:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_idx_fkey "
            "FOREIGN KEY (idx) REFERENCES ledger_entry (idx)"
        )


def _set_aside(table: str) -> None:
    """Rename ``table`` (and its key) out of the way; its triggers go with it when dropped."""
    op.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
    op.execute(f"ALTER TABLE {table}_old RENAME CONSTRAINT {table}_pkey TO {table}_old_pkey")


def _triggers(table: str) -> None:
    if table == "ledger_opening":
        op.execute(
            "CREATE TRIGGER ledger_opening_append_only BEFORE UPDATE ON ledger_opening "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER ledger_opening_no_delete BEFORE DELETE ON ledger_opening "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_unrecorded_erasure()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_change()"
        )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    leaves = _leaves()
    size = op.get_bind().exec_driver_sql("SELECT size FROM ledger_head WHERE id = 1").scalar()
    last = int(size or 0) // leaves + AHEAD
    _drop_foreign_keys()
    for table in ORDER:
        _set_aside(table)
    for table in ORDER:
        reference = (
            ", CONSTRAINT ledger_opening_idx_fkey FOREIGN KEY (idx) REFERENCES ledger_entry (idx)"
            if table == "ledger_opening"
            else ""
        )
        op.execute(
            f"CREATE TABLE {table} ({COLUMNS[table]}, CONSTRAINT {table}_pkey "
            f"PRIMARY KEY ({KEY[table]}){reference}) PARTITION BY RANGE ({KEY[table]})"
        )
        for number in range(last + 1):
            name = f"{table}_p{number:06d}"
            first, end = number * leaves * SPAN[table], (number + 1) * leaves * SPAN[table]
            op.execute(
                f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ({first}) TO ({end})"
            )
            op.execute(
                f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
                "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
            )
        columns = COLUMNS[table].replace(" BIGINT NOT NULL", "").replace(" BYTEA NOT NULL", "")
        op.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old "  # noqa: S608
            f"ORDER BY {KEY[table]}"
        )
        _triggers(table)
    _refer_again()
    for table in reversed(ORDER):
        op.execute(f"DROP TABLE {table}_old")
    for table in ORDER:
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _drop_foreign_keys()
    for table in ORDER:
        _set_aside(table)
    for table in ORDER:
        reference = (
            ", CONSTRAINT ledger_opening_idx_fkey FOREIGN KEY (idx) REFERENCES ledger_entry (idx)"
            if table == "ledger_opening"
            else ""
        )
        op.execute(
            f"CREATE TABLE {table} ({COLUMNS[table]}, CONSTRAINT {table}_pkey "
            f"PRIMARY KEY ({KEY[table]}){reference})"
        )
        columns = COLUMNS[table].replace(" BIGINT NOT NULL", "").replace(" BYTEA NOT NULL", "")
        op.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old "  # noqa: S608
            f"ORDER BY {KEY[table]}"
        )
        _triggers(table)
    _refer_again()
    # Dropping a partitioned table drops its partitions.
    for table in reversed(ORDER):
        op.execute(f"DROP TABLE {table}_old")
