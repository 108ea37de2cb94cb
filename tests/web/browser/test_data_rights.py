"""In headless Chromium: a learner downloads the copy of their data and asks for a correction.

The posting institution declines it on its workspace, and the learner sees the answer.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from creditbank.demo import LEARNERS
from tests.web.browser.conftest import LiveServer, screenshot

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, expect

from tests.web.browser.test_pages import sign_in_learner, sign_in_staff

POSTERS = {"CQ-ZZ-001": "cq-zz-poster", "CQ-GZ-001": "cq-gz-poster"}
LEARNER = 4  # 陈静: her records come from CQ-ZZ-001 and CQ-GZ-001, which have demo posters


def test_a_learner_downloads_the_copy_and_a_correction_goes_round(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    sign_in_learner(page, live_server, LEARNER)
    page.locator("#your-data").click()
    expect(page.get_by_role("heading", name="我的数据", exact=True)).to_be_visible()
    expect(page.locator("#identity")).to_contain_text(LEARNERS[LEARNER].document_number)
    with page.expect_download() as saved:
        page.locator("#download-copy").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(saved.value.path()).read_bytes()))
    document = json.loads(archive.read("data.json"))
    assert document["account"]["name"] == LEARNERS[LEARNER].name
    assert document["records"] and "record_versions.csv" in archive.namelist()
    screenshot(page, "learner-your-data")

    page.goto(live_server.url + "/portal")
    page.locator("ol.timeline li a").first.click()
    reason = "成绩应为 90 分"
    page.get_by_label("哪里有误").fill(reason)
    page.locator("#ask-correction-submit").click()
    sent = page.locator(".messages").inner_text()
    found = re.search(r"更正申请已提交给 ([A-Z]{2}-[A-Z]{2}-\d{3})", sent)
    assert found is not None, sent
    expect(page.locator("#record-requests")).to_contain_text("待答复")

    staff_context = browser.new_context(locale="zh-CN")
    try:
        poster = staff_context.new_page()
        sign_in_staff(poster, live_server, POSTERS[found.group(1)])
        poster.goto(live_server.url + "/institution")
        requests = poster.locator("#correction-requests")
        expect(requests).to_contain_text(reason)
        requests.get_by_role("link", name="答复").first.click()
        poster.locator("#decision-declined").check()
        poster.get_by_label("理由（会告知学习者）").fill("成绩单存根为 86 分")
        poster.locator("#answer-submit").click()
        expect(poster.locator(".messages")).to_contain_text("已答复更正申请")
        screenshot(poster, "institution-correction-answered")
    finally:
        staff_context.close()

    page.goto(live_server.url + "/portal/data")
    answered = page.locator("#correction-list")
    expect(answered).to_contain_text("不予更正")
    expect(answered).to_contain_text("成绩单存根为 86 分")
    page.goto(live_server.url + "/portal/notices")
    expect(page.locator("main")).to_contain_text("成绩单存根为 86 分")
