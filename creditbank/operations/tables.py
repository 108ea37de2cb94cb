"""Tables of the operations work: job runs, the leader lease, audit progress and expiry marks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime

_BIG_SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: when, where, and how it ended.

    A leader job's run claims its time ``slot`` by inserting this row: the unique constraint
    makes the database refuse a second run of the same slot, even from a second leader.
    """

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "slot", name="uq_job_run_slot"),
        Index("ix_job_run_job_started", "job", "started_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_SERIAL, primary_key=True))
    job: str = Field(sa_column=Column(String(64), nullable=False))
    slot: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))  # running|ok|error|abandoned
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    host: str = Field(sa_column=Column(String(255), nullable=False))
    pid: int = Field(sa_column=Column(Integer, nullable=False))
    holder: str = Field(sa_column=Column(String(80), nullable=False))


class SchedulerLease(SQLModel, table=True):
    """Who leads the scheduled jobs, until when; renewed by the holder, taken when expired."""

    __tablename__ = "scheduler_lease"

    name: str = Field(sa_column=Column(String(32), primary_key=True))
    holder: str = Field(sa_column=Column(String(80), nullable=False))
    host: str = Field(sa_column=Column(String(255), nullable=False))
    pid: int = Field(sa_column=Column(Integer, nullable=False))
    acquired_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    renewed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class AuditState(SQLModel, table=True):
    """How far the incremental audit got, the tree it recomputed there, and what it found.

    ``frontier`` is the audit's own compact range (concatenated subtree hashes) at
    ``audited_size``, so the next run continues without trusting the stored nodes.
    """

    __tablename__ = "audit_state"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    audited_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    last_leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    frontier: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    last_checkpoint_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))  # ok | failed
    finding_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    finding: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    checked_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    full_pass_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class ConsentExpiry(SQLModel, table=True):
    """A consent whose end date passed, and the log entry that records it."""

    __tablename__ = "consent_expiry"

    consent: str = Field(sa_column=Column(String(36), ForeignKey("consent.id"), primary_key=True))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    expired_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CertificateFlag(SQLModel, table=True):
    """A certificate record found past its expiry date (for the version that says so)."""

    __tablename__ = "certificate_flag"

    record: str = Field(
        sa_column=Column(String(36), ForeignKey("outcome_record.id"), primary_key=True)
    )
    version: int = Field(sa_column=Column(Integer, nullable=False))
    expires_on: date = Field(sa_column=Column(Date, nullable=False))
    flagged_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
