"""The dashboard's figures as last computed by the refresh job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class IndicatorSnapshot(SQLModel, table=True):
    """One row: every indicator as JSON and when it was computed."""

    __tablename__ = "indicator_snapshot"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    computed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
