"""Files the import hands back to an office: templates and bad-rows reports, as it sent them.

A report comes back in the format of the upload (CSV in the same encoding, or XLSX), so the
clerk opens it where they made the file, corrects the rows and uploads it again: the report's
own columns (line, field, reason) are ignored on the way back in. Every cell goes through
:mod:`creditbank.spreadsheet`, so nothing written here can run as a formula.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from creditbank.imports.columns import REPORT, REPORT_NAMES, columns_of, english_name
from creditbank.imports.reasons import Lang, column_in, reason_in
from creditbank.imports.records_csv import RowProblem
from creditbank.imports.tabular import Format, Table
from creditbank.records.vocabulary import OutcomeKind
from creditbank.spreadsheet import safe_row, xlsx_bytes

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class OutgoingFile:
    """A file to hand back: its bytes, its media type and its file-name extension."""

    body: bytes
    format: Format

    @property
    def mimetype(self) -> str:
        """The media type, with the CSV's charset."""
        return MIMETYPES[self.format]


def _csv_bytes(rows: Sequence[Sequence[str]], encoding: str, delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")  # as Excel writes
    for row in rows:
        writer.writerow(safe_row(row))
    text = out.getvalue()
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)


def _file(
    rows: Sequence[Sequence[str]], fmt: Format, encoding: str, sheet: str, delimiter: str = ","
) -> OutgoingFile:
    if fmt == "xlsx":
        return OutgoingFile(xlsx_bytes(sheet, rows), "xlsx")
    return OutgoingFile(_csv_bytes(rows, encoding, delimiter), "csv")


def csv_file(rows: Sequence[Sequence[str]]) -> OutgoingFile:
    """Rows as a CSV that Excel opens correctly everywhere (UTF-8 with a byte order mark)."""
    return _file(rows, "csv", "utf-8-sig", "")


def header_in(lang: Lang, names: Sequence[str]) -> list[str]:
    """Column headers as a reader of ``lang`` writes them."""
    return [column_in(lang, name) for name in names]


def template(kind: OutcomeKind, lang: Lang, fmt: Format) -> OutgoingFile:
    """An empty file headed with the columns of ``kind``, in Chinese or English.

    A Chinese CSV is UTF-8 with a byte order mark, which Excel opens correctly everywhere.
    """
    names = [info.name for info in columns_of(kind)]
    header = names if lang == "en" else [info.zh for info in columns_of(kind)]
    return _file([header], fmt, "utf-8-sig", kind.value)


def bad_rows_report(table: Table, problems: Sequence[RowProblem], lang: Lang) -> OutgoingFile:
    """The bad rows as uploaded, each led by its line, the columns at fault and why."""
    by_line: dict[int, list[RowProblem]] = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append(problem)
    lead = [info.name if lang == "en" else info.zh for info in REPORT]
    # A report uploaded again carries the old report's columns: they are not repeated.
    keep = [i for i, cell in enumerate(table.header) if english_name(cell) not in REPORT_NAMES]
    rows: list[list[str]] = [[*lead, *(table.header[i] for i in keep)]]
    for row in table.rows:
        found = by_line.get(row.line)
        if not found:
            continue
        fields = "; ".join(column_in(lang, p.field) for p in found)
        reasons = "; ".join(
            f"{column_in(lang, p.field)}: {reason_in(lang, p.reason)}" for p in found
        )
        cells = [row.cells[i] if i < len(row.cells) else "" for i in keep]
        rows.append([str(row.line), fields, reasons, *cells])
    encoding = table.encoding or "utf-8-sig"
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # Excel reads UTF-8 only with its byte order mark
    sheet: Literal["bad rows", "有误的行"] = "bad rows" if lang == "en" else "有误的行"
    return _file(rows, table.format, encoding, sheet, table.delimiter)
