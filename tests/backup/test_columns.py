"""Column values to JSON and back, and a refusal for types a backup does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from creditbank.backup.columns import TableCodec
from creditbank.backup.restore import _parents_first
from creditbank.errors import BackupError
from creditbank.storage.types import UtcDateTime


class _Row:
    def __init__(self, mapping: dict[str, object]) -> None:
        self._mapping = mapping


def test_every_kind_round_trips() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("i", BigInteger, primary_key=True),
        Column("s", String(10)),
        Column("x", Text),
        Column("b", Boolean),
        Column("raw", LargeBinary),
        Column("at", UtcDateTime()),
        Column("on", Date),
        Column("n", Integer, nullable=True),
    )
    codec = TableCodec(table)
    row = {
        "i": 2**40,
        "s": "学分",
        "x": "long",
        "b": False,
        "raw": b"\x00\xff",
        "at": datetime(2026, 12, 2, 8, 30, 1, 250, tzinfo=UTC),
        "on": date(2026, 9, 1),
        "n": None,
    }
    encoded = codec.encode(_Row(row))
    assert encoded["raw"] == "AP8=" and encoded["at"] == "2026-12-02T08:30:01.000250+00:00"
    assert codec.decode(encoded, "here") == row


def test_an_unknown_column_type_is_refused_by_name() -> None:
    table = Table("money", MetaData(), Column("amount", Numeric(10, 2)))
    with pytest.raises(BackupError, match=r"column money\.amount has type Numeric"):
        TableCodec(table)


def test_a_row_with_other_columns_is_refused_with_its_place() -> None:
    codec = TableCodec(Table("t", MetaData(), Column("i", Integer, primary_key=True)))
    with pytest.raises(BackupError, match=r"t\.jsonl line 3: expected the columns"):
        codec.decode({"j": 1}, "t.jsonl line 3")


def test_rows_pointing_into_their_own_table_come_after_what_they_point_to() -> None:
    metadata = MetaData()
    table = Table(
        "evaluation",
        metadata,
        Column("id", String(4), primary_key=True),
        Column("appeal_of", String(4), ForeignKey("evaluation.id"), nullable=True),
    )
    rows = [
        {"id": "a", "appeal_of": "c"},
        {"id": "b", "appeal_of": None},
        {"id": "c", "appeal_of": "b"},
    ]
    assert [r["id"] for r in _parents_first(table, iter(rows))] == ["b", "c", "a"]
