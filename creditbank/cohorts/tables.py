"""The queue of cohort evaluations and their results."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class CohortJob(SQLModel, table=True):
    """One submitted cohort: who, which policy and learners, and how far it has got.

    Its learners are split into :class:`CohortChunk` rows that any process claims, so a
    cohort runs on every process that serves; ``done`` counts the learners of finished chunks
    and is updated with them. ``results`` holds only what jobs run before the chunks kept
    there; the results of a chunked job are its chunks', in chunk order.
    """

    __tablename__ = "cohort_job"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    submitted_by: str = Field(sa_column=Column(String(64), nullable=False))
    policy_id: str = Field(sa_column=Column(String(80), nullable=False))
    # The version chosen when the cohort was queued (by its intake, as the policy states) and
    # the intake start that chose it; None on jobs queued before versions were kept.
    policy_version: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    applies_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    evaluated_on: date = Field(sa_column=Column(Date, nullable=False))
    learners: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    total: int = Field(sa_column=Column(Integer, nullable=False))
    done: int = Field(sa_column=Column(Integer, nullable=False))
    results: str = Field(sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class CohortChunk(SQLModel, table=True):
    """A slice of a cohort's learners that one process evaluates at a time.

    A process claims a chunk (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so claimers pass each
    other) for a lease; it writes the chunk's results in the one transaction that marks the
    chunk done, and only while its claim (``claim``) is still the chunk's. A process killed
    mid-chunk wrote nothing, and after the lease another takes the chunk again; a process
    that outlived its lease finds its claim replaced and its results are not kept.
    """

    __tablename__ = "cohort_chunk"

    job_id: str = Field(sa_column=Column(String(36), ForeignKey("cohort_job.id"), primary_key=True))
    number: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    learners: str = Field(sa_column=Column(Text, nullable=False))  # a JSON array of ids
    size: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    claim: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    results: str = Field(sa_column=Column(Text, nullable=False))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
