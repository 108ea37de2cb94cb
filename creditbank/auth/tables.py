"""Authentication's own table: browser sessions (the web pages' signed-in callers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class WebSession(SQLModel, table=True):
    """One browser session; the cookie holds a random id, the table only its SHA-256.

    ``data`` is the session's JSON (who signed in, the CSRF token, the language, a pending
    upload). A row past ``expires_at`` is treated as absent and removed on the next write.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_expires", "expires_at"),)

    id_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    data: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    seen_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LearnerAccess(SQLModel, table=True):
    """One read of a learner's data by an institution under the learner's consent.

    Who (``institution`` and the API key ``principal``), when, under which ``consent``, and
    what (``kind`` of resource and its ``resource`` id). The learner sees these rows in the
    portal and in the copy of their data; they are never ledger entries.
    """

    __tablename__ = "learner_access"
    __table_args__ = (Index("ix_learner_access_learner", "learner", "at"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(sa_column=Column(String(36), nullable=False))
    institution: str = Field(sa_column=Column(String(32), nullable=False))
    principal: str = Field(sa_column=Column(String(64), nullable=False))
    consent: str = Field(sa_column=Column(String(36), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    resource: str = Field(sa_column=Column(String(100), nullable=False))
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
