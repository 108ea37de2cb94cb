"""Tables of outcome records, their versions and the batches that posted them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class Batch(SQLModel, table=True):
    """One accepted posting request, kept so a retry with its Idempotency-Key gets its answer."""

    __tablename__ = "record_batch"
    __table_args__ = (UniqueConstraint("institution", "idempotency_key"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False)
    )
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    signing_key: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    signature: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    posted_by: str = Field(sa_column=Column(String(32), nullable=False))
    posted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    record_count: int = Field(sa_column=Column(Integer, nullable=False))
    first_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    size_after: int = Field(sa_column=Column(BigInteger, nullable=False))
    response: str = Field(sa_column=Column(Text, nullable=False))


class OutcomeRecord(SQLModel, table=True):
    """A learner's outcome as it stands now; every version is in ``record_version``.

    ``institution`` is the poster (from the key that posted it, never from the body);
    ``source`` the member institution the outcome is from: the poster itself, or another
    member that delegated posting to it (``delegation``, the current version's).

    ``external_id`` is the posting institution's own id for the record (or the import's
    keyed hash of a CSV row): unique per institution, so a re-sent record is never doubled.
    """

    __tablename__ = "outcome_record"
    __table_args__ = (
        Index("ux_outcome_record_external", "institution", "external_id", unique=True),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(
        sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False, index=True)
    )
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    source: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    # The delegation's id (no foreign key, so SQLite can add and drop the column in place).
    delegation: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    posted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    batch: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("record_batch.id"), nullable=True)
    )
    external_id: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))


class RecordVersion(SQLModel, table=True):
    """One state of a record: posted, corrected or revoked, with its ledger entry."""

    __tablename__ = "record_version"

    record: str = Field(
        sa_column=Column(String(36), ForeignKey("outcome_record.id"), primary_key=True)
    )
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))


class Delegation(SQLModel, table=True):
    """A member's leave for another member to post outcomes with it as their source.

    Mirrors its ``delegation.granted`` entry (``granted_index``) and, once ended, its
    ``delegation.ended`` entry; ``kinds`` is the comma-joined outcome kinds it covers.
    """

    __tablename__ = "delegation"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    delegator: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    delegate: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    kinds: str = Field(sa_column=Column(String(64), nullable=False))
    effective_from: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    effective_until: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    reason: str = Field(sa_column=Column(Text, nullable=False))
    granted_by: str = Field(sa_column=Column(String(64), nullable=False))
    granted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    granted_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    ended_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    ended_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
