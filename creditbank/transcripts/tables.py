"""Tables of issued transcripts, the records each holds, and the status lists.

A transcript's credential is kept sealed (it names the learner and their grades); the records
it holds are listed in clear so correcting or revoking a record finds its transcripts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class Transcript(SQLModel, table=True):
    """One issued transcript."""

    __tablename__ = "transcript"
    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(
        sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False, index=True)
    )
    code: str = Field(sa_column=Column(String(16), nullable=False, unique=True))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    valid_until: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    record_count: int = Field(sa_column=Column(Integer, nullable=False))
    status_list: int = Field(
        sa_column=Column(Integer, ForeignKey("transcript_status_list.id"), nullable=False)
    )
    status_index: int = Field(sa_column=Column(Integer, nullable=False))
    credential_sealed: str = Field(sa_column=Column(Text, nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    revoked_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What a verifier is told of why (a RevocationCategory), never the free-text reason.
    revoked_category: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class TranscriptRecord(SQLModel, table=True):
    """A record a transcript discloses, at the version it was issued with."""

    __tablename__ = "transcript_record"

    transcript: str = Field(
        sa_column=Column(String(36), ForeignKey("transcript.id"), primary_key=True)
    )
    record: str = Field(
        sa_column=Column(String(36), ForeignKey("outcome_record.id"), primary_key=True, index=True)
    )
    version: int = Field(sa_column=Column(Integer, nullable=False))


class StatusList(SQLModel, table=True):
    """A Bitstring Status List and its latest signed credential."""

    __tablename__ = "transcript_status_list"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    used: int = Field(sa_column=Column(Integer, nullable=False))
    # SHA-256 of the revoked indices the stored credential was signed over.
    signed_digest: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    credential: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    signed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class TranscriptTransfer(SQLModel, table=True):
    """A recognised transfer a transcript discloses."""

    __tablename__ = "transcript_transfer"

    transcript: str = Field(
        sa_column=Column(String(36), ForeignKey("transcript.id"), primary_key=True)
    )
    transfer: str = Field(
        sa_column=Column(
            String(36), ForeignKey("recognised_transfer.id"), primary_key=True, index=True
        )
    )
