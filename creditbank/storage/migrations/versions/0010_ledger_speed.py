"""The log's tables keyed by the row id on SQLite, and tree nodes kept at every fourth level.

On SQLite a ``BIGINT PRIMARY KEY`` is a separate unique index beside the hidden row id, so
every log row was two B-tree inserts; an ``INTEGER PRIMARY KEY`` is the row id itself. The
tables are rebuilt with it (same columns, same rows, same triggers). PostgreSQL keeps its
tables as they are.

On both engines ``ledger_node`` keeps only the levels the code now stores (4, 8, 12, …); the
others are folded from the stored level below on read. Downgrading restores the former
layout: BIGINT keys and every complete node from level 3 up, recomputed from the leaves.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-02
"""

import hashlib
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

# The lowest set bit of (~id & (id + 1)) is 2**level; stored levels are 4, 8, …, 60.
STORED_LEVEL_MASK = sum(1 << level for level in range(4, 61, 4))
FORMER_LOWEST_LEVEL = 3
APPEND_ONLY = ("ledger_entry", "ledger_node")
NO_UPDATE = ("ledger_opening",)
PAGE = 5000


def _sqlite_triggers(table: str, operations: tuple[str, ...]) -> None:
    for operation in operations:
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        )


def _rebuild_sqlite(key_type: str, node_filter: str) -> None:
    """Copy the three log tables into new ones keyed by ``key_type``, then swap the names."""
    # (An INTEGER PRIMARY KEY column is SQLite's row id; BIGINT is a separate index.)
    op.execute(
        f"CREATE TABLE ledger_entry_new (idx {key_type} NOT NULL, "
        "leaf_hash BLOB NOT NULL, data BLOB NOT NULL, PRIMARY KEY (idx))"
    )
    op.execute(
        "INSERT INTO ledger_entry_new (idx, leaf_hash, data) "
        "SELECT idx, leaf_hash, data FROM ledger_entry ORDER BY idx"
    )
    op.execute(
        f"CREATE TABLE ledger_opening_new (idx {key_type} NOT NULL, salt BLOB NOT NULL, "
        "payload BLOB NOT NULL, PRIMARY KEY (idx), "
        "FOREIGN KEY(idx) REFERENCES ledger_entry_new (idx))"
    )
    op.execute(
        "INSERT INTO ledger_opening_new (idx, salt, payload) "
        "SELECT idx, salt, payload FROM ledger_opening ORDER BY idx"
    )
    op.execute(
        f"CREATE TABLE ledger_node_new (id {key_type} NOT NULL, hash BLOB NOT NULL, "
        "PRIMARY KEY (id))"
    )
    op.execute(
        "INSERT INTO ledger_node_new (id, hash) "  # noqa: S608 (constants only)
        f"SELECT id, hash FROM ledger_node WHERE {node_filter} ORDER BY id"
    )
    # The child goes first, so dropping the entries breaks no foreign key; dropping a table
    # drops its triggers with it.
    op.execute("DROP TABLE ledger_opening")
    op.execute("DROP TABLE ledger_entry")
    op.execute("DROP TABLE ledger_node")
    # Renaming rewrites the opening table's reference to ledger_entry_new as well.
    op.execute("ALTER TABLE ledger_entry_new RENAME TO ledger_entry")
    op.execute("ALTER TABLE ledger_opening_new RENAME TO ledger_opening")
    op.execute("ALTER TABLE ledger_node_new RENAME TO ledger_node")
    for table in APPEND_ONLY:
        _sqlite_triggers(table, ("UPDATE", "DELETE"))
    for table in NO_UPDATE:
        _sqlite_triggers(table, ("UPDATE",))


def upgrade() -> None:
    keep = f"((~id) & (id + 1)) & {STORED_LEVEL_MASK} != 0"
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_node DISABLE TRIGGER ledger_node_append_only")
        op.execute(f"DELETE FROM ledger_node WHERE NOT ({keep})")  # noqa: S608 (constants only)
        op.execute("ALTER TABLE ledger_node ENABLE TRIGGER ledger_node_append_only")
    else:
        _rebuild_sqlite("INTEGER", keep)


def _leaf_hashes(connection: sa.Connection) -> Iterator[bytes]:
    start = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT idx, leaf_hash FROM ledger_entry WHERE idx >= :s ORDER BY idx LIMIT :n"
            ),
            {"s": start, "n": PAGE},
        ).all()
        if not rows:
            return
        for _, leaf_hash in rows:
            yield bytes(leaf_hash)
        start = rows[-1][0] + 1


def _former_nodes(connection: sa.Connection) -> list[tuple[int, bytes]]:
    """Every complete node at level 3 or above, recomputed from the leaves (RFC 9162)."""
    frontier: list[bytes] = []
    nodes: list[tuple[int, bytes]] = []
    for size, leaf in enumerate(_leaf_hashes(connection)):
        current, level = leaf, 0
        while size >> level & 1:
            current = hashlib.sha256(b"\x01" + frontier.pop() + current).digest()
            level += 1
            if level >= FORMER_LOWEST_LEVEL:
                index = size >> level
                nodes.append(((index << (level + 1)) + (1 << level) - 1, current))
        frontier.append(current)
    return nodes


def downgrade() -> None:
    connection = op.get_bind()
    nodes = _former_nodes(connection)
    if connection.dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_node DISABLE TRIGGER ledger_node_append_only")
        op.execute("DELETE FROM ledger_node")
        op.execute("ALTER TABLE ledger_node ENABLE TRIGGER ledger_node_append_only")
    else:
        _rebuild_sqlite("BIGINT", "false")
    if nodes:
        connection.execute(
            sa.text("INSERT INTO ledger_node (id, hash) VALUES (:id, :hash)"),
            [{"id": node, "hash": digest} for node, digest in nodes],
        )
