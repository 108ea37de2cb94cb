"""Every cell the service writes is safe to open: nothing it writes can run as a formula."""

from __future__ import annotations

import csv
import io
import pathlib
import re
from decimal import Decimal

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from creditbank.spreadsheet import FORMULA_LEADS, safe_cell, safe_row, xlsx_bytes


def test_formula_leads_get_an_apostrophe_and_numbers_stay_numbers() -> None:
    assert safe_cell('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert safe_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("\r=1") == "'\r=1"
    assert safe_cell("-1+2") == "'-1+2"
    assert safe_cell("-3") == "-3"
    assert safe_cell("+4.5") == "+4.5"
    assert safe_cell(Decimal("-2.5")) == "-2.5"
    assert safe_cell("李明") == "李明"
    assert safe_cell(None) == ""
    assert safe_row(["=1", 3]) == ["'=1", "3"]


@given(st.text())
def test_no_written_csv_cell_starts_like_a_formula(text: str) -> None:
    cell = safe_cell(text)
    assert cell.endswith(text)
    if cell.startswith(FORMULA_LEADS):
        assert cell.lstrip("+-").replace(".", "", 1).isdigit()
    out = io.StringIO()
    csv.writer(out).writerow(safe_row([text]))
    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) in ([cell], [])


def test_an_xlsx_stores_every_cell_as_text_never_as_a_formula() -> None:
    body = xlsx_bytes("s", [["=1+1", "@A1", "-3", "李明"]])
    book = openpyxl.load_workbook(io.BytesIO(body))
    cells = next(iter(book.worksheets[0].iter_rows()))
    assert [c.value for c in cells] == ["=1+1", "@A1", "-3", "李明"]
    assert {c.data_type for c in cells} == {"s"}  # a formula would be "f"
    assert {c.number_format for c in cells} == {"@"}
    assert b"<f>" not in body


def test_every_csv_writer_of_the_service_writes_safe_rows() -> None:
    """A structural check: each ``writerow`` in the package passes its cells through safe_row."""
    package = pathlib.Path(__file__).resolve().parents[1] / "creditbank"
    calls = 0
    for path in package.rglob("*.py"):
        if path.name == "spreadsheet.py":
            continue
        text = path.read_text("utf-8")
        for found in re.finditer(r"\.writerows?\(\s*(\S[^\n]*)", text):
            calls += 1
            assert found.group(1).startswith("safe_row("), f"{path}: {found.group(0)}"
        assert "openpyxl" not in text or path.name == "tabular.py", path  # the only reader
    assert calls >= 3
