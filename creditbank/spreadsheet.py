"""Cells the service writes into CSV and XLSX files, made safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and WPS when the file is opened ("CSV injection"): a learner's
name or a course title typed as ``=HYPERLINK(...)`` would run in a registry clerk's
spreadsheet. Every CSV and XLSX writer of the service passes its cells through
:func:`safe_cell` (CSV) or :func:`xlsx_bytes` (XLSX, which writes every text cell as text).
Plain numbers (``-3``, ``+4.5``) are left alone: a spreadsheet reads them as numbers, never as
formulas.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
TEXT_FORMAT = "@"  # the spreadsheet number format "Text": what is typed there stays text

Cell = str | int | Decimal | date | None


def safe_cell(value: Cell) -> str:
    """The cell as CSV text, with a leading apostrophe when it would be read as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    if text.startswith(FORMULA_LEADS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[Cell]) -> list[str]:
    """A row of :func:`safe_cell` texts, for ``csv.writer(...).writerow``."""
    return [safe_cell(value) for value in values]


def xlsx_bytes(sheet: str, rows: Iterable[Sequence[Cell]]) -> bytes:
    """A workbook of one sheet; every cell is written as text, so none can be a formula.

    The cells are text-formatted too, so a clerk retyping one keeps it text.
    """
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    for values in rows:
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value="" if value is None else _text(value))
            cell.data_type = "s"  # openpyxl would store "=..." as a formula; this is text
            cell.number_format = TEXT_FORMAT
            cells.append(cell)
        worksheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Cell) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
