"""Tables of notices and of the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class Notice(SQLModel, table=True):
    """One thing a learner or an institution is told; ``event_key`` makes it once per event."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_recipient", "recipient_kind", "recipient", "created_at"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    recipient_kind: str = Field(sa_column=Column(String(16), nullable=False))
    recipient: str = Field(sa_column=Column(String(36), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    params: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    event_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class OutboxMessage(SQLModel, table=True):
    """An e-mail to send for a notice, until it is sent (or cannot be)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    notice: str = Field(
        sa_column=Column(String(36), ForeignKey("notice.id"), nullable=False, unique=True)
    )
    # pending → sending → sent; or no_address, or failed after the last attempt.
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
