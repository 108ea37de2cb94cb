"""In headless Chromium: an institution's admin reviews its keys and accepts the operator's."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import LiveServer, screenshot
from tests.web.browser.test_pages import sign_in_staff

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect


def test_an_admin_accepts_the_key_the_operator_issued(page: Page, live_server: LiveServer) -> None:
    sign_in_staff(page, live_server, "cq-gz-admin")
    page.get_by_role("link", name="API 密钥").click()
    keys = page.locator("#keys")
    helpdesk = keys.locator("tr", has_text="bank helpdesk")
    expect(helpdesk).to_contain_text("待机构确认")
    expect(helpdesk).to_contain_text("银行运营人员")
    expect(keys.locator("tr", has_text="cq-gz-poster")).to_contain_text("机构管理员")
    screenshot(page, "institution-keys-pending")
    helpdesk.get_by_role("button", name="确认").click()
    expect(page.locator(".messages")).to_contain_text("已确认密钥")
    expect(page.locator("#keys tr", has_text="bank helpdesk")).to_contain_text("有效")
    screenshot(page, "institution-keys-accepted")
