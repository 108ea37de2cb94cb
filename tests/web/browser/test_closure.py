"""In headless Chromium: a learner closes their account, confirming on its own page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.browser.conftest import LiveServer, creditbank, require_browser, screenshot, serve
from tests.web.browser.test_pages import sign_in_learner

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

LEARNER = 4


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A demonstration instance of this module's own: closing an account is for good."""
    require_browser()
    instance: Path = tmp_path_factory.mktemp("closure-live") / "instance"
    for command in (["init"], ["demo", "load"]):
        creditbank(instance, *command)
    with serve(instance) as server:
        yield server


def test_a_learner_closes_the_account_after_reading_and_confirming(
    page: Page, own_server: LiveServer
) -> None:
    live_server = own_server
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
