"""The queue of cohort evaluations and their results."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class CohortJob(SQLModel, table=True):
    """One submitted cohort: who, which policy and learners, and how far it has got.

    Any process may run a queued job; claiming it is one conditional UPDATE, so exactly one
    does. Results accumulate as CSV lines.
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
