"""The table of learners' correction requests and the posting institutions' answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class CorrectionRequest(SQLModel, table=True):
    """A learner's request that a record be corrected, and the posting institution's answer.

    ``reason`` (the learner's words) and ``answer_reason`` (the institution's) are free text:
    they stay here, and the log entries carry only their SHA-256. ``status`` is ``open`` until
    the institution answers ``corrected``, ``revoked`` or ``declined``.
    """

    __tablename__ = "correction_request"
    __table_args__ = (
        Index("ix_correction_request_institution", "institution", "status"),
        Index("ix_correction_request_learner", "learner", "requested_at"),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False))
    record: str = Field(
        sa_column=Column(String(36), ForeignKey("outcome_record.id"), nullable=False, index=True)
    )
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False)
    )
    record_version: int = Field(sa_column=Column(Integer, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    requested_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    requested_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    answered_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    answered_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    answer_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_index: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, unique=True)
    )
    # The record's ledger entry the answer made (a correction or revocation); None if declined.
    record_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
