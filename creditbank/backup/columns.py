"""JSON values for column values, chosen by the column's type.

A backup holds every table the service's metadata declares; a column whose type is not one
of these is refused by name, so a new table cannot be half-exported without anyone noticing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.types import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    TypeDecorator,
    TypeEngine,
)

from creditbank.errors import BackupError


@dataclass(frozen=True)
class Codec:
    """How one column's values become JSON and come back."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _b64decode(value: Any) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"not base64: {exc}") from None


def _nullable(codec: Codec) -> Codec:
    return Codec(
        encode=lambda value: None if value is None else codec.encode(value),
        decode=lambda value: None if value is None else codec.decode(value),
    )


# Order matters: Boolean and DateTime are not Integer or String subclasses, but Text is a String.
_CODECS: tuple[tuple[type[TypeEngine[Any]], Codec], ...] = (
    (Boolean, Codec(bool, bool)),
    (Integer, Codec(int, int)),
    (Float, Codec(float, float)),
    (LargeBinary, Codec(lambda v: base64.b64encode(v).decode("ascii"), _b64decode)),
    (DateTime, Codec(datetime.isoformat, datetime.fromisoformat)),
    (Date, Codec(date.isoformat, date.fromisoformat)),
    (String, Codec(str, str)),
    (JSON, Codec(_same, _same)),
)


def _base_type(column: Column[Any]) -> TypeEngine[Any]:
    kind: TypeEngine[Any] = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def column_codec(table: Table, column: Column[Any]) -> Codec:
    """Return the codec of ``column``; refuse a type the backup does not know."""
    kind = _base_type(column)
    for base, codec in _CODECS:
        if isinstance(kind, base):
            return _nullable(codec)
    raise BackupError(
        f"column {table.name}.{column.name} has type {kind!r}, which backups do not know how "
        "to write: add it to creditbank/backup/columns.py"
    )


class TableCodec:
    """Rows of one table to JSON objects and back, column by column."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = {column.name: column_codec(table, column) for column in table.columns}

    def encode(self, row: Any) -> dict[str, Any]:
        """Return the JSON object of a result row (keyed by column name)."""
        mapping = row._mapping
        return {name: codec.encode(mapping[name]) for name, codec in self.columns.items()}

    def decode(self, obj: Any, where: str) -> dict[str, Any]:
        """Return insert values from a JSON object; ``where`` names the file and line."""
        if not isinstance(obj, dict) or set(obj) != set(self.columns):
            got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
            raise BackupError(
                f"{where}: expected the columns {sorted(self.columns)} of {self.table.name}, "
                f"got {got}"
            )
        try:
            return {name: codec.decode(obj[name]) for name, codec in self.columns.items()}
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{where}: {exc}") from None
