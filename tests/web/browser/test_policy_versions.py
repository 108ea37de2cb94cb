"""In headless Chromium, on two gunicorn servers over one instance: a broken policy file is
quarantined at start-up and shown; an institution's admin uploads a new catalog year, is
refused a broken one with its line, sees the checks and impact, and publishes; the other
server, started before, lists the new version without a restart.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser.conftest import (
    LiveServer,
    creditbank,
    require_browser,
    screenshot,
    serve,
)
from tests.web.browser.test_pages import sign_in_staff

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

POLICIES = Path(__file__).resolve().parents[3] / "policies"
FIVE_YEAR = "cq-five-year-computer-applications"
BROKEN = "chengyu-sc-to-cq-mechatronics.toml"


def _get(server: LiveServer, path: str) -> Any:
    with urllib.request.urlopen(server.url + path, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, LiveServer, Path]]:
    """Two servers on one instance whose folder lacks the 2027 year and has a broken file."""
    require_browser()
    root = tmp_path_factory.mktemp("policy-versions")
    folder = root / "policies"
    folder.mkdir()
    for path in POLICIES.glob("*.toml"):
        if ".2027." not in path.name:
            shutil.copy(path, folder)
    text = (folder / BROKEN).read_text(encoding="utf-8")
    (folder / BROKEN).write_text(text.replace("total_credits = ", "total_credits = -", 1))
    instance = root / "instance"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDITBANK_POLICIES", str(folder))
        patch.setenv("CREDITBANK_POLICY_REFRESH", "0")
        for command in (["init"], ["demo", "load"]):
            creditbank(instance, *command)
        with ExitStack() as stack:
            first = stack.enter_context(serve(instance))
            second = stack.enter_context(serve(instance))
            yield first, second, folder


def test_a_new_catalog_year_is_published_and_the_other_server_takes_it_up(
    page: Page, servers: tuple[LiveServer, LiveServer, Path]
) -> None:
    first, second, folder = servers
    broken_line = 1 + (folder / BROKEN).read_text(encoding="utf-8").splitlines().index(
        next(
            line
            for line in (folder / BROKEN).read_text(encoding="utf-8").splitlines()
            if line.startswith("total_credits = -")
        )
    )
    # The broken file is quarantined, on /healthz and on the admin page; the others loaded.
    health = _get(first, "/healthz")
    [quarantined] = health["policies"]["quarantined"]
    assert quarantined["source"] == BROKEN
    assert quarantined["errors"][0]["line"] == broken_line
    assert FIVE_YEAR in {p["id"] for p in _get(first, "/api/v1/policies")["policies"]}

    sign_in_staff(page, first, "operator")
    page.goto(first.url + "/admin#policies")
    alert = page.locator("#quarantined")
    expect(alert).to_contain_text(BROKEN)
    expect(alert).to_contain_text("programme.total_credits")
    expect(alert).to_contain_text(f"第 {broken_line} 行")
    row = page.locator(f"#version-{FIVE_YEAR}-2026\\.1")
    expect(row).to_contain_text("2026-09-01 – 至今")
    row.get_by_role("button", name="发布").click()
    expect(page.locator(".messages")).to_contain_text(f"已发布 {FIVE_YEAR} 版本 2026.1")
    screenshot(page, "admin-policy-versions")
    page.context.clear_cookies()

    # The institution's admin uploads the 2027 catalog year: a broken copy first.
    sign_in_staff(page, first, "cq-gz-admin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="认定政策").click()
    good = (POLICIES / f"{FIVE_YEAR}.2027.toml").read_text(encoding="utf-8")
    bad = good.replace("per_academic_year = 10", 'per_academic_year = "ten"')
    cases = (POLICIES / f"{FIVE_YEAR}.2027.cases.toml").read_bytes()
    page.locator("#policy-file").set_input_files(
        files=[{"name": "v2027.toml", "mimeType": "text/plain", "buffer": bad.encode()}]
    )
    page.locator("#cases-file").set_input_files(
        files=[{"name": "v2027.cases.toml", "mimeType": "text/plain", "buffer": cases}]
    )
    page.locator("#check-policy").click()
    bad_line = 1 + bad.splitlines().index('per_academic_year = "ten"')
    expect(page.locator("main")).to_contain_text("v2027.toml:caps.per_academic_year")
    expect(page.locator("main")).to_contain_text(f"第 {bad_line} 行")
    assert _get(first, "/healthz")["status"] == "ok"  # the service goes on serving
    screenshot(page, "policy-upload-refused")

    page.goto(first.url + "/admin/policies")
    page.locator("#policy-file").set_input_files(
        files=[{"name": "v2027.toml", "mimeType": "text/plain", "buffer": good.encode()}]
    )
    page.locator("#cases-file").set_input_files(
        files=[{"name": "v2027.cases.toml", "mimeType": "text/plain", "buffer": cases}]
    )
    page.locator("#check-policy").click()
    expect(page.locator("#cases-passed")).to_contain_text("全部 3 个样例通过")
    expect(page.locator("#draft-status")).to_contain_text("未发布")
    expect(page.locator("#impact")).to_contain_text("2026.1")
    expect(page.locator("#impact-evaluations")).to_have_text("0")
    before = _get(second, "/api/v1/policies")
    five = next(p for p in before["policies"] if p["id"] == FIVE_YEAR)
    assert [v["version"] for v in five["versions"]] == ["2026.1"]  # nothing changed yet
    screenshot(page, "policy-upload-impact")
    page.locator("#publish-draft").click()
    expect(page.locator("#draft-status")).to_contain_text("已发布")

    # The other server, started before, lists it and shows it (no restart).
    after = _get(second, "/api/v1/policies")
    five = next(p for p in after["policies"] if p["id"] == FIVE_YEAR)
    assert [(v["version"], v["published"], v["origin"]) for v in five["versions"]] == [
        ("2026.1", True, "database"),
        ("2027.1", True, "database"),
    ]
    page.goto(second.url + "/admin/policies")
    row = page.locator(f"#version-{FIVE_YEAR}-2027\\.1")
    expect(row).to_contain_text("2027-09-01 – 至今")
    expect(row).to_contain_text("已发布")
    expect(page.locator(f"#version-{FIVE_YEAR}-2026\\.1")).to_contain_text(
        "2026-09-01 – 2027-08-31"
    )
    screenshot(page, "policy-versions-second-server")
