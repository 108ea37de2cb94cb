"""In Chromium: a registry office uploads the files Excel makes (GBK CSV, XLSX) as they are."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest

from tests.web.browser.conftest import LiveServer, screenshot
from tests.web.browser.test_pages import resident_id, sign_in_staff

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

HEADER = [
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


def _row(sequence: str, credits: str) -> list[str]:
    return [
        "resident_id",
        resident_id(sequence),
        "孙丽",
        "course",
        f"JX4{sequence}",
        "液压与气动技术",
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


def _gbk(rows: list[list[str]], path: Path) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("gbk"))
    return path


def _xlsx(rows: list[list[str]], path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["gbk", "xlsx"])
def test_an_office_uploads_an_excel_file_and_downloads_its_bad_rows(
    page: Page, live_server: LiveServer, tmp_path: Path, kind: str
) -> None:
    sequence = {"gbk": "81", "xlsx": "82"}[kind]
    rows = [HEADER, _row(sequence + "1", "3"), _row(sequence + "2", "lots")]
    upload = (
        _gbk(rows, tmp_path / "成果.csv") if kind == "gbk" else _xlsx(rows, tmp_path / "成果.xlsx")
    )
    sign_in_staff(page, live_server, "cq-gz-poster")
    expect(page).to_have_url(re.compile(r"/institution$"))
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(str(upload))
    page.locator("#check-upload").click()
    expect(page.locator("#read-as")).to_contain_text("GB18030/GBK" if kind == "gbk" else "XLSX")
    expect(page.locator("#summary")).to_contain_text("1 行有误")
    expect(page.locator("#problems tbody tr").first).to_contain_text("应为数字")
    screenshot(page, f"institution-upload-{kind}")
    with page.expect_download() as saved:
        page.locator("#bad-rows-download").click()
    report = Path(saved.value.path()).read_bytes()
    if kind == "gbk":
        got = list(csv.reader(io.StringIO(report.decode("gb18030"), newline="")))
    else:
        book = openpyxl.load_workbook(io.BytesIO(report))
        got = [[c or "" for c in r] for r in book.worksheets[0].iter_rows(values_only=True)]
    assert got[1][:2] == ["3", "学分"] and got[1][3:] == rows[2]
    page.locator("#post-upload").click()
    expect(page.locator(".messages")).to_contain_text("登记 1 条")


def test_an_office_downloads_a_template(page: Page, live_server: LiveServer) -> None:
    sign_in_staff(page, live_server, "cq-gz-poster")
    expect(page.locator("#columns")).to_contain_text("document_number")
    with page.expect_download() as saved:
        page.locator("#template-certificate-xlsx").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(saved.value.path()).read_bytes()))
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[:4] == ("证件类型", "证件号码", "姓名", "成果类别") and "证书编号" in header
