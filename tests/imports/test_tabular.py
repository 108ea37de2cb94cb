"""Files as offices save them: CSV in UTF-8, GB18030/GBK and UTF-16, and XLSX, within bounds."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from creditbank.errors import InvalidInput
from creditbank.imports import tabular
from creditbank.imports.columns import english_header, english_name
from creditbank.imports.tabular import read_table

TEXT = "姓名,证件号码\n李明,500105200601013115\n"


@pytest.mark.parametrize(
    ("raw", "codec", "shown"),
    [
        (TEXT.encode("utf-8"), "utf-8", "UTF-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig", "UTF-8 (BOM)"),
        (TEXT.encode("gbk"), "gb18030", "GB18030/GBK"),
        (TEXT.encode("gb18030"), "gb18030", "GB18030/GBK"),
        (TEXT.encode("utf-16"), "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16", "UTF-16"),
    ],
)
def test_each_encoding_excel_saves_is_read_and_named(raw: bytes, codec: str, shown: str) -> None:
    table = read_table(raw, "f.csv")
    assert (table.encoding, table.encoding_name) == (codec, shown)
    assert table.header == ("姓名", "证件号码")
    assert [(r.line, r.cells) for r in table.rows] == [(2, ("李明", "500105200601013115"))]


def test_a_file_in_no_accepted_encoding_is_refused_with_advice() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_table(b"name\n\xe9\n", "latin.csv")
    assert refused.value.detail.startswith("latin.csv is not UTF-8, GB18030 (GBK) or UTF-16")
    assert "xlsx" in refused.value.detail
    with pytest.raises(InvalidInput, match="byte order mark"):
        read_table(TEXT.encode("utf-16-le"), "nobom.csv")


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_sheet_is_read_as_the_text_a_csv_would_hold() -> None:
    raw = _workbook(
        [
            ["name", "hours", "credits", "completed_on", "document_number"],
            ["李明", 64, 3.5, datetime(2025, 1, 10), "50010520060101311X"],
            [None, None, None, None, None],  # Excel's empty rows are skipped
            ["王芳", 48.0, 2, date(2025, 6, 20), "500105200601013115"],
        ]
    )
    table = read_table(raw, "records.xlsx")
    assert (table.format, table.encoding, table.encoding_name) == ("xlsx", None, "XLSX")
    assert table.header == ("name", "hours", "credits", "completed_on", "document_number")
    assert [(r.line, r.cells) for r in table.rows] == [
        (2, ("李明", "64", "3.5", "2025-01-10", "50010520060101311X")),
        (4, ("王芳", "48", "2", "2025-06-20", "500105200601013115")),
    ]
    # Every number in a workbook is a double: an 18-digit number typed as one lost digits.
    lost = read_table(_workbook([["document_number"], [500105200601013115]]), "x.xlsx")
    assert lost.rows[0].damaged and "lost digits" in lost.rows[0].damaged[0][1]


def test_xlsx_size_rows_and_archive_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    many = _workbook([["name"], *[[f"n{i}"] for i in range(11)]])
    with pytest.raises(InvalidInput, match="over 10 rows"):
        tabular.read_xlsx(many, "many.xlsx", max_rows=10)
    monkeypatch.setattr(tabular, "XLSX_MAX_BYTES", 100)
    with pytest.raises(InvalidInput, match="over 0 MiB"):
        read_table(many, "big.xlsx")
    monkeypatch.undo()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (tabular.XLSX_MAX_UNPACKED + 1))
    with pytest.raises(InvalidInput, match="unpacks to over"):
        read_table(bomb.getvalue(), "bomb.xlsx")
    with pytest.raises(InvalidInput, match=r"not an \.xlsx workbook"):
        read_table(b"PK\x03\x04 damaged", "damaged.xlsx")


def test_headers_in_chinese_english_or_both_name_the_same_columns() -> None:
    assert english_name("证件号码") == "document_number"
    assert english_name(" Document_Number ") == "document_number"
    assert english_name("证件号码 (document_number)") == "document_number"
    assert english_name("姓名（name）") == "name"
    assert english_name("备注") == "备注"  # unknown: kept, and refused later as a field
    assert english_header(["证件类型", "证件号码", "姓名", "kind"])[:3] == [
        "document_kind",
        "document_number",
        "name",
    ]
    with pytest.raises(InvalidInput, match="both mean name"):
        english_header(["证件类型", "证件号码", "姓名", "name", "kind"])
    with pytest.raises(InvalidInput, match="document_number: missing column"):
        english_header(["证件类型", "姓名", "kind"])


def test_excels_unicode_text_is_read_with_its_tabs() -> None:
    table = read_table(TEXT.replace(",", "\t").encode("utf-16"), "unicode.txt")
    assert table.encoding == "utf-16" and table.header == ("姓名", "证件号码")
    assert table.delimiter == "\t"
    assert table.rows[0].cells == ("李明", "500105200601013115")
