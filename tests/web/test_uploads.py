"""Uploads as registry offices make them: GBK, UTF-16 and XLSX files, templates, bad-row files."""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditbank.identity.documents import check_digit
from creditbank.wiring import Services
from tests.web.conftest import csrf_token, post_form, staff

ZH_HEADER = [
    "证件类型",
    "证件号码",
    "姓名",
    "成果类别",
    "课程代码",
    "课程名称",
    "开课机构代码",
    "层次",
    "专业",
    "学期",
    "学时",
    "学分",
    "成绩制",
    "成绩",
    "完成日期",
]


def _resident_id(sequence: str) -> str:
    first17 = "500105" + "20060102" + sequence
    return first17 + check_digit(first17)


def _row(sequence: str, credits: str, title: str = "液压与气动技术") -> list[str]:
    return [
        "resident_id",
        _resident_id(sequence),
        "赵磊",
        "course",
        f"JX3{sequence}",
        title,
        "CQ-GZ-001",
        "gaozhi",
        "机电一体化技术",
        "2024-2025-2",
        "48",
        credits,
        "percent",
        "81",
        "2025-06-20",
    ]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client: FlaskClient, raw: bytes, name: str) -> Any:
    return client.post(
        "/institution/upload",
        data={"csrf_token": csrf_token(client, "/institution"), "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


def _english(client: FlaskClient) -> FlaskClient:
    client.get("/lang/en?next=/institution")
    return client


FILES = {
    "gbk": (lambda rows: _csv(rows).encode("gbk"), "records.csv", "GB18030/GBK"),
    "utf16": (lambda rows: _csv(rows).encode("utf-16"), "records.csv", "UTF-16"),
    "utf8bom": (lambda rows: _csv(rows).encode("utf-8-sig"), "records.csv", "UTF-8 (BOM)"),
    "xlsx": (_xlsx, "records.xlsx", "XLSX"),
}


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_file_as_excel_saves_it_is_checked_then_posted(
    app: Flask, demo: Services, kind: str
) -> None:
    encode, name, shown = FILES[kind]
    client = staff(app.test_client(), "cq-gz-poster")
    sequence = {"gbk": "71", "utf16": "72", "utf8bom": "73", "xlsx": "74"}[kind]
    rows = [ZH_HEADER, _row(sequence + "1", "3"), _row(sequence + "2", "lots")]
    size = demo.ledger.head().size
    response = _upload(client, encode(rows), name)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:800]
    assert f"<strong>{shown}</strong>" in page
    assert re.findall(r'<tr><td class="num">(\d+)</td><td><code>([^<]+)</code>', page) == [
        ("3", "credits")
    ]
    assert "应为数字（可带小数）" in page  # the reason in the page's language
    assert demo.ledger.head().size == size

    report = client.get("/institution/upload/bad-rows")
    assert report.status_code == 200
    if kind == "xlsx":
        assert report.mimetype.endswith("spreadsheetml.sheet")
        book = openpyxl.load_workbook(io.BytesIO(report.data))
        got = [[c or "" for c in r] for r in book.worksheets[0].iter_rows(values_only=True)]
    else:
        assert report.mimetype == "text/csv"
        codec = {"gbk": "gb18030", "utf16": "utf-16", "utf8bom": "utf-8-sig"}[kind]
        got = list(csv.reader(io.StringIO(report.data.decode(codec), newline="")))
        if kind == "gbk":
            assert not report.data.startswith(codecs.BOM_UTF8)  # still GBK, as uploaded
    assert got[0] == ["行号", "字段", "原因", *ZH_HEADER]
    assert got[1][:3] == ["3", "学分", "学分: 应为数字（可带小数）"]
    assert got[1][3:] == rows[2]

    posted = post_form(client, "/institution/upload/post", {}, page="/institution")
    assert posted.status_code == 302  # type: ignore[attr-defined]
    after = demo.ledger.head().size
    assert after > size

    # The report, corrected as it is, goes back in: its own columns are ignored.
    fixed = [got[0], [*got[1][:3], *_row(sequence + "2", "2")]]
    again = _upload(client, encode(fixed), name)
    assert again.status_code == 200
    assert "<strong>1 行有误</strong>" not in again.get_data(as_text=True)
    assert "共 1 行：1 行可登记" in again.get_data(as_text=True)


def test_english_reasons_and_headers_on_an_english_page(app: Flask, demo: Services) -> None:
    client = _english(staff(app.test_client(), "cq-gz-poster"))
    header = _csv([[c for c in ZH_HEADER]])
    english = header.replace("证件类型", "document_kind")  # mixed headers are fine
    raw = (english + _csv([_row("751", "lots")])).encode("gbk")
    page = _upload(client, raw, "mixed.csv").get_data(as_text=True)
    assert "must be a decimal number" in page and "Read as" in page
    report = client.get("/institution/upload/bad-rows")
    got = list(csv.reader(io.StringIO(report.data.decode("gb18030"), newline="")))
    assert got[0][:3] == ["line", "field", "reason"]
    assert got[1][:3] == ["2", "credits", "credits: must be a decimal number"]


@pytest.mark.parametrize("kind", ["course", "certificate", "training", "award"])
def test_each_kind_has_a_template_in_both_languages_and_formats(
    app: Flask, demo: Services, kind: str
) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    page = client.get("/institution").get_data(as_text=True)
    assert f'id="template-{kind}-xlsx"' in page and f'id="template-{kind}-csv"' in page
    zh_csv = client.get(f"/institution/templates/{kind}.csv")
    assert zh_csv.status_code == 200 and zh_csv.mimetype == "text/csv"
    assert "attachment" in zh_csv.headers["Content-Disposition"]
    zh_header = zh_csv.data.decode("utf-8-sig").strip().split(",")
    assert zh_header[:4] == ["证件类型", "证件号码", "姓名", "成果类别"]
    xlsx = _english(client).get(f"/institution/templates/{kind}.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    en_header = next(book.worksheets[0].iter_rows(values_only=True))
    assert en_header[:4] == ("document_kind", "document_number", "name", "kind")
    assert len(en_header) == len(zh_header)
    # A filled template goes straight back in (here: an empty one, so only its header).
    checked = _upload(client, xlsx.data, f"{kind}.xlsx")
    assert checked.status_code == 200 and "0 rows" in checked.get_data(as_text=True)
    assert client.get(f"/institution/templates/{kind}.pdf").status_code == 404
    assert app.test_client().get(f"/institution/templates/{kind}.csv").status_code in (
        302,
        401,
        403,
    )


def test_a_formula_in_a_bad_row_comes_back_neutralised(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    row = _row("761", "lots", title='=HYPERLINK("http://evil.example","点我")')
    _upload(client, _csv([ZH_HEADER, row]).encode("utf-8"), "evil.csv")
    report = client.get("/institution/upload/bad-rows").data.decode("utf-8-sig")
    cells = list(csv.reader(io.StringIO(report, newline="")))[1]
    assert cells[3 + 5] == "'" + row[5]
    # In a workbook the clerk typed it as text ('=...), so it is a text cell, not a formula.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ZH_HEADER)
    sheet.append(row)
    sheet.cell(row=2, column=6).data_type = "s"
    sent = io.BytesIO()
    book.save(sent)
    _upload(client, sent.getvalue(), "evil.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/institution/upload/bad-rows").data))
    cell = list(book.worksheets[0].iter_rows())[1][3 + 5]
    assert cell.value == row[5] and cell.data_type != "f"


def test_a_file_in_no_accepted_encoding_is_a_clear_400(app: Flask, demo: Services) -> None:
    client = staff(app.test_client(), "cq-gz-poster")
    response = _upload(client, b"document_kind\n\xe9\n", "latin.csv")
    assert response.status_code == 400
    assert "GB18030" in response.get_data(as_text=True)
