"""Reading a registry office's file as it comes: CSV in the encodings Excel saves, or XLSX.

Excel on Chinese Windows saves "CSV" in GBK (GB18030's older subset), "CSV UTF-8" with a byte
order mark, and "Unicode text" in UTF-16. The encoding is found in a fixed order that cannot
guess wrong silently: a byte order mark first (UTF-8, UTF-16 LE/BE); then strict UTF-8, which
almost never decodes text written in another encoding; then strict GB18030, which decodes
GBK. A file that is none of these is refused with advice, never read with replaced bytes.

An XLSX file is a zip archive; its size, its unpacked size and its rows are bounded before and
while it is read (openpyxl in read-only mode streams the rows), so a small "zip bomb" or a
million-row sheet is refused with a clear message instead of filling the memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Literal

from openpyxl import load_workbook

from creditbank.errors import FieldProblem, InvalidInput

Format = Literal["csv", "xlsx"]
XLSX_MAX_BYTES = 20 * 1024 * 1024
XLSX_MAX_UNPACKED = 200 * 1024 * 1024
XLSX_MAX_ROWS = 100_000
ZIP_MAGIC = b"PK\x03\x04"
# A number Excel stored as a float this large has lost digits (an identity number typed
# into a cell formatted "General", for one).
EXACT_LIMIT = 2**53

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# How each encoding is named to the user.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "gb18030": "GB18030/GBK",
}


@dataclass(frozen=True)
class TableRow:
    """One data row: its line (CSV) or row number (XLSX) and its cells by header position."""

    line: int
    cells: tuple[str, ...]
    # Cells that cannot be read faithfully, by header position, with the reason.
    damaged: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Table:
    """A file as rows of text cells, and how it was stored (to write reports the same way)."""

    format: Format
    encoding: str | None  # the CSV encoding used (a Python codec name); None for XLSX
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    delimiter: str = ","  # a CSV's cell separator

    @property
    def encoding_name(self) -> str:
        """The encoding as the user knows it ("GB18030/GBK"), or "XLSX"."""
        if self.encoding is None:
            return "XLSX"
        return ENCODING_NAMES.get(self.encoding, self.encoding)


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput(reason, problems=[FieldProblem("file", reason)])


def decode_csv(raw: bytes, name: str) -> tuple[str, str]:
    """Return the text of a CSV file and the codec that decoded it (see the module's order)."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise _refuse(
                    f"{name} starts as {ENCODING_NAMES[codec]} but byte {exc.start} is not"
                ) from None
    if b"\x00" in raw:
        raise _refuse(
            f"{name} holds NUL bytes: UTF-16 text needs its byte order mark (Excel writes one)"
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    raise _refuse(
        f"{name} is not UTF-8, GB18030 (GBK) or UTF-16 text (byte {first_bad}): in Excel, "
        "save it as “CSV UTF-8” or as an .xlsx workbook"
    )


def delimiter_of(text: str) -> str:
    """The cell separator: a tab when the header has tabs and no commas, else a comma.

    Excel's "Unicode text" (UTF-16) separates cells by tabs.
    """
    header = text.split("\n", 1)[0]
    return "\t" if "\t" in header and "," not in header else ","


def _csv_rows(text: str, delimiter: str) -> tuple[tuple[str, ...], tuple[TableRow, ...]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[TableRow] = []
    try:
        header = tuple(next(reader, []))
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(TableRow(reader.line_num, tuple(cells)))
    except csv.Error as exc:
        # A malformed file (or a cell over csv.field_size_limit(), 128 KiB) stops the whole
        # check: the rows after it cannot be told apart.
        raise _refuse(f"line {reader.line_num} cannot be read as CSV: {exc}") from None
    return header, tuple(rows)


def read_csv(raw: bytes, name: str) -> Table:
    """A CSV file in any of the accepted encodings."""
    text, codec = decode_csv(raw, name)
    delimiter = delimiter_of(text)
    header, rows = _csv_rows(text, delimiter)
    return Table("csv", codec, header, rows, delimiter)


def _cell_text(value: object) -> tuple[str, str | None]:
    """A cell's value as the text a CSV would hold, and why it cannot be trusted (if so)."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat(), None
        return value.isoformat(), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if abs(value) >= EXACT_LIMIT:
            return (
                repr(value),
                "Excel stored this as a number and lost digits: format the column as text",
            )
        if value.is_integer():
            return str(int(value)), None
        return format(Decimal(repr(value)), "f"), None
    return str(value), None


def _unpacked_size(raw: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _refuse(f"{name} is not an .xlsx workbook (it cannot be opened)") from None
    if unpacked > XLSX_MAX_UNPACKED:
        raise _refuse(
            f"{name} unpacks to over {XLSX_MAX_UNPACKED // 2**20} MiB: split it into smaller files"
        )


def _sheet_rows(raw: bytes, name: str) -> Iterator[tuple[int, tuple[object, ...]]]:
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise _refuse(f"{name} is not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, tuple(values)
    finally:
        book.close()


def read_xlsx(raw: bytes, name: str, *, max_rows: int = XLSX_MAX_ROWS) -> Table:
    """The first sheet of an XLSX workbook: row 1 is the header, empty rows are skipped."""
    if len(raw) > XLSX_MAX_BYTES:
        raise _refuse(f"{name} is over {XLSX_MAX_BYTES // 2**20} MiB: split it into smaller files")
    _unpacked_size(raw, name)
    header: tuple[str, ...] | None = None
    rows: list[TableRow] = []
    for number, values in _sheet_rows(raw, name):
        read = [_cell_text(value) for value in values]
        if header is None:
            header = tuple(text.strip() for text, _ in read)
            while header and header[-1] == "":
                header = header[:-1]
            continue
        if not any(text.strip() for text, _ in read):
            continue
        if len(rows) >= max_rows:
            raise _refuse(f"{name} has over {max_rows} rows: split it into smaller files")
        damaged = tuple((i, why) for i, (_, why) in enumerate(read) if why is not None)
        rows.append(TableRow(number, tuple(text for text, _ in read), damaged))
    return Table("xlsx", None, header or (), tuple(rows))


def read_table(raw: bytes, name: str) -> Table:
    """A CSV or XLSX file, told apart by its content (an XLSX is a zip archive)."""
    if raw.startswith(ZIP_MAGIC) or name.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(raw, name)
    return read_csv(raw, name)


def read_path(path: Path) -> Table:
    """A file on disk (the command line), read like an upload."""
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.stat().st_size > XLSX_MAX_BYTES:
        raise _refuse(
            f"{path.name} is over {XLSX_MAX_BYTES // 2**20} MiB: split it into smaller files"
        )
    return read_table(path.read_bytes(), path.name)
