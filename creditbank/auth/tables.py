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
