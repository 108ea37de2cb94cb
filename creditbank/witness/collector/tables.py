"""The cosignatures the bank collected: one row per (checkpoint size, witness), the latest kept.

A cosignature signs a checkpoint's body (origin, size, root), not one stored note, so it is
keyed by size: every checkpoint of that size has the same body in an append-only log. A witness
cosigning the same size again (a fresher time) replaces its row rather than adding one per round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class WitnessCosignature(SQLModel, table=True):
    """A witness's latest cosignature of the checkpoint of one size."""

    __tablename__ = "witness_cosignature"
    __table_args__ = (Index("ix_witness_cosignature_witness_size", "witness", "size"),)

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    # ``<name>+<hex key id>``: a witness is its name and its cosignature key id together.
    witness: str = Field(sa_column=Column(String(300), primary_key=True))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
    line: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


cosignature_t = WitnessCosignature.__table__  # type: ignore[attr-defined]
