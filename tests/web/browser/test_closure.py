"""In headless Chromium: a learner closes their account, confirming on its own page."""

from __future__ import annotations

import re

import pytest

from tests.web.browser.conftest import LiveServer, screenshot
from tests.web.browser.test_pages import sign_in_learner

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

# No other browser test signs in as this demo learner: closing the account is for good.
LEARNER = 4


def test_a_learner_closes_the_account_after_reading_and_confirming(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_learner(page, live_server, LEARNER)
    expect(page).to_have_url(re.compile(r"/portal$"))
    page.locator("#close-account-link").click()
    expect(page).to_have_url(re.compile(r"/portal/closure$"))
    expect(page.get_by_role("heading", name="注销后会发生什么")).to_be_visible()
    # The box is required: the button alone submits nothing.
    page.locator("#close-submit").click()
    expect(page).to_have_url(re.compile(r"/portal/closure$"))
    screenshot(page, "learner-closure")
    page.get_by_label(re.compile("我已了解")).check()
    page.locator("#close-submit").click()
    expect(page.locator("#account-closed")).to_contain_text("您的个人数据将于")
    page.goto(live_server.url + "/portal")
    expect(page).to_have_url(re.compile(r"/signin"))
    sign_in_learner(page, live_server, LEARNER)
    expect(page).not_to_have_url(re.compile(r"/portal$"))
