"""The log's tables on PostgreSQL: range partitions of a fixed number of indices, made ahead.

Migration 0024 makes ``ledger_entry`` and ``ledger_opening`` partitioned by ``idx`` and
``ledger_node`` by node id, partition *k* of each holding leaves ``[k·N, (k+1)·N)`` (node ids
``[2k·N, 2(k+1)·N)``, the same subtrees). N is a power of two (2^20 by default), so every
stored subtree of up to N leaves lies within one partition of each table.

Rows go through the parent tables unchanged: reads and proofs ask the same queries and get
the same bytes, PostgreSQL pruning them to the partitions that hold the indices asked for.

There is no DEFAULT partition. A row that falls past the last partition is refused ("no
partition ... found for row") and the append rolls back whole; a DEFAULT partition would
instead take the rows, and could then never be split, since that means deleting them from
it and the log's triggers refuse every DELETE. So the ``partitions`` job keeps
:data:`AHEAD` partitions beyond the one being filled, and fails (an error run the operations
page shows) whenever fewer than one whole partition of room would remain.

The append-only row triggers are declared on the parents; PostgreSQL (13 and later) clones
row triggers to every partition, those created or attached later included. Statement
triggers are not cloned, so each partition gets its own TRUNCATE refusal when it is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from creditbank.errors import LedgerError
from creditbank.ledger.store import read_head
from creditbank.storage.database import is_sqlite

# 2^20 leaves: a partition of ~1 GB of entries and openings, vacuumed, dumped and audited in
# minutes; 10^9 entries are ~950 partitions, well within what PostgreSQL plans quickly.
DEFAULT_LEAVES = 1 << 20
# Partitions kept ready beyond the one being filled.
AHEAD = 2
# Each partitioned table, its key column and how many key values one leaf spans.
TABLES: dict[str, tuple[str, int]] = {
    "ledger_entry": ("idx", 1),
    "ledger_opening": ("idx", 1),
    "ledger_node": ("id", 2),
}
# Entries first: an opening's foreign key names ledger_entry.
ORDER = ("ledger_entry", "ledger_opening", "ledger_node")
_PARTITION = re.compile(r"ledger_(entry|opening|node)_p\d{6}")
_BOUNDS = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")


@dataclass(frozen=True)
class Partition:
    """One partition: its table's name, its own, and its leaves ``[first, end)``."""

    table: str
    name: str
    first: int
    end: int


def partition_name(table: str, number: int) -> str:
    """``ledger_entry_p000003``: the table's partition ``number``."""
    return f"{table}_p{number:06d}"


def is_partition(table: str) -> bool:
    """Whether ``table`` is one of the log's partitions (the models declare only parents)."""
    return _PARTITION.fullmatch(table) is not None


def partitions(connection: Connection, table: str) -> list[Partition]:
    """The partitions of ``table`` in leaf order (none on SQLite or unpartitioned)."""
    if is_sqlite(connection) or not _partitioned(connection, table):
        return []
    _, span = TABLES[table]
    rows = connection.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).all()
    found: list[Partition] = []
    for name, bound in rows:
        match = _BOUNDS.search(bound or "")
        if match is None:
            raise LedgerError(f"partition {name} of {table} has bounds {bound!r}, not a range")
        found.append(Partition(table, name, int(match[1]) // span, int(match[2]) // span))
    return sorted(found, key=lambda part: part.first)


def _partitioned(connection: Connection, table: str) -> bool:
    kind = connection.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar_one_or_none()
    return kind == "p"


def leaves_per_partition(connection: Connection) -> int | None:
    """N, read from ``ledger_entry``'s first partition (None: the log is not partitioned)."""
    found = partitions(connection, "ledger_entry")
    return found[0].end - found[0].first if found else None


def covered(connection: Connection) -> int | None:
    """The first index no partition of some log table holds (None: not partitioned)."""
    ends = []
    for table in ORDER:
        found = partitions(connection, table)
        if not found:
            return None
        ends.append(found[-1].end)
    return min(ends)


def create_partition(connection: Connection, table: str, number: int, leaves: int) -> str:
    """Make partition ``number`` of ``table`` (and its TRUNCATE refusal); return its name.

    The new table is created apart and then attached (SHARE UPDATE EXCLUSIVE on the parent,
    so reads go on; the foreign keys make it wait for appends in flight, and new ones wait
    for it, a few milliseconds); attaching clones the parent's keys, foreign keys and row
    triggers onto it.
    """
    _, span = TABLES[table]
    name = partition_name(table, number)
    first, end = number * leaves * span, (number + 1) * leaves * span
    # Names and bounds are built here from integers and the constants above, never input.
    connection.execute(text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)"))
    connection.execute(
        text(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({first}) TO ({end})")
    )
    refuse_truncate(connection, name)
    return name


def refuse_truncate(connection: Connection, name: str) -> None:
    """The statement trigger that refuses TRUNCATE, which PostgreSQL does not clone."""
    connection.execute(
        text(
            f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
            "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
        )
    )


def ensure_ahead(
    connection: Connection, *, size: int | None = None, ahead: int = AHEAD
) -> list[str]:
    """Create every missing partition up to ``ahead`` beyond the one holding index ``size``.

    ``size`` defaults to the head's. Returns the names created (none on SQLite). Runs in the
    caller's transaction, one maker at a time (an advisory lock), giving up rather than
    queueing behind a long-held lock.
    """
    leaves = leaves_per_partition(connection)
    if leaves is None:
        return []
    if size is None:
        size = read_head(connection).size
    before = connection.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    connection.execute(text("SELECT set_config('lock_timeout', '10s', true)"))
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('creditbank partitions'))"))
    last = size // leaves + ahead
    made: list[str] = []
    for table in ORDER:
        have = {part.first // leaves for part in partitions(connection, table)}
        for number in range(last + 1):
            if number not in have:
                made.append(create_partition(connection, table, number, leaves))
    # The rest of the caller's transaction (a restore, say) waits as it would have.
    connection.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": before})
    return made


def room(connection: Connection) -> tuple[int, int] | None:
    """``(indices left before the last partition ends, N)``, or None when not partitioned."""
    leaves = leaves_per_partition(connection)
    end = covered(connection)
    if leaves is None or end is None:
        return None
    return end - read_head(connection).size, leaves
