"""The dashboard's figures as last computed by the refresh job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class IndicatorSnapshot(SQLModel, table=True):
    """One row: every indicator as JSON and when it was computed."""

    __tablename__ = "indicator_snapshot"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    computed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))


class IndicatorMark(SQLModel, table=True):
    """One row: the last record version and evaluation (by ledger index) the totals count."""

    __tablename__ = "indicator_mark"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    records_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    evaluations_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class IndicatorTotal(SQLModel, table=True):
    """A running count: ``figure`` (kind, month, region, …), its ``key``, and the ``tally``.

    ``credits`` is the sum of recognised credits (a decimal string) for ``evaluations``.
    """

    __tablename__ = "indicator_total"

    figure: str = Field(sa_column=Column(String(16), primary_key=True))
    key: str = Field(sa_column=Column(String(400), primary_key=True))
    tally: int = Field(sa_column=Column(BigInteger, nullable=False))
    credits: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class IndicatorRecord(SQLModel, table=True):
    """An active record as the totals count it: whose, and which version's content."""

    __tablename__ = "indicator_record"

    record: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(sa_column=Column(String(36), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))


class IndicatorLearner(SQLModel, table=True):
    """How many active records the totals count for a learner (rows only above zero)."""

    __tablename__ = "indicator_learner"

    learner: str = Field(sa_column=Column(String(36), primary_key=True))
    records: int = Field(sa_column=Column(BigInteger, nullable=False))
