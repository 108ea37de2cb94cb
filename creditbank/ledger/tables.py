"""The log's tables.

Entries, nodes, checkpoints and erasures are append-only (database triggers refuse UPDATE and
DELETE, see migrations 0001 and 0012); openings are never changed, and deleted only once an
erasure is recorded for them, so a learner's payload can be erased without touching the log
while an opening removed behind the service's back is found by the audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a 64-bit key.
_BIG_SERIAL = BigInteger().with_variant(Integer(), "sqlite")
# An INTEGER PRIMARY KEY is SQLite's row id itself (64-bit); a BIGINT one would be a second
# B-tree beside it, written on every append (migration 0010).
_BIG_KEY = BigInteger().with_variant(Integer(), "sqlite")

APPEND_ONLY_TABLES = ("ledger_entry", "ledger_node", "ledger_checkpoint", "ledger_erasure")
NO_UPDATE_TABLES = ("ledger_opening", "ledger_sealed_opening")


class LedgerEntry(SQLModel, table=True):
    """One leaf: its index, its RFC 9162 leaf hash and the canonical entry bytes."""

    __tablename__ = "ledger_entry"

    idx: int = Field(sa_column=Column(_BIG_KEY, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerNode(SQLModel, table=True):
    """A complete interior node at a stored level (4, 8, …), keyed by its flat in-order id."""

    __tablename__ = "ledger_node"

    id: int = Field(sa_column=Column(_BIG_KEY, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


# Tables whose link to their entry PostgreSQL checks with a statement-level trigger instead of
# the foreign key declared below (migration 0027: a foreign key to the partitioned log costs a
# lookup per row). SQLite keeps the foreign keys.
ENTRY_CHECKED_BY_TRIGGER = ("ledger_opening", "ledger_sealed_opening")


class LedgerOpening(SQLModel, table=True):
    """What opens an entry's commitment: the salt and the canonical payload bytes."""

    __tablename__ = "ledger_opening"

    idx: int = Field(
        sa_column=Column(
            _BIG_KEY, ForeignKey("ledger_entry.idx"), primary_key=True, autoincrement=False
        )
    )
    salt: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerSealedOpening(SQLModel, table=True):
    """The opening of an entry about a learner, sealed under that learner's data key.

    ``sealed`` is a 96-bit nonce followed by AES-256-GCM of ``salt ‖ payload``, bound to the
    index and the learner (:mod:`creditbank.ledger.sealed_openings`). Destroying the learner's
    key (erasure) makes every copy of it, backups included, unreadable.
    """

    __tablename__ = "ledger_sealed_opening"

    idx: int = Field(
        sa_column=Column(
            _BIG_KEY, ForeignKey("ledger_entry.idx"), primary_key=True, autoincrement=False
        )
    )
    learner: str = Field(sa_column=Column(String(36), nullable=False, index=True))
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerCheckpoint(SQLModel, table=True):
    """A signed checkpoint (C2SP signed note) as it was published."""

    __tablename__ = "ledger_checkpoint"

    id: int | None = Field(default=None, sa_column=Column(_BIG_SERIAL, primary_key=True))
    size: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LedgerHead(SQLModel, table=True):
    """The single row the sequencer locks: the committed size, root and last leaf hash."""

    __tablename__ = "ledger_head"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    last_leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LedgerErasure(SQLModel, table=True):
    """An opening deliberately erased (a learner's payload deleted): when and why."""

    __tablename__ = "ledger_erasure"

    idx: int = Field(
        sa_column=Column(
            _BIG_KEY, ForeignKey("ledger_entry.idx"), primary_key=True, autoincrement=False
        )
    )
    erased_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
