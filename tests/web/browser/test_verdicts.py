"""The four verdict classes people meet on ``/verify/<code>`` at desktop width.

A bank whose transcript key has been in service for a year (its keyring backdated before the
demonstration data is loaded) holds a valid, an expired, a revoked and an altered transcript
(see ``verdict_transcripts``); each page leads with its verdict and its facts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.web.browser.conftest import (
    ROOT,
    LiveServer,
    creditbank,
    instance_env,
    require_browser,
    screenshot,
    serve,
)

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect


def _backdate_transcript_key(instance: Path) -> None:
    keyring = instance / "keys" / "transcripts" / "keyring.json"
    document = json.loads(keyring.read_text(encoding="utf-8"))
    entries = document["keys"] if isinstance(document, dict) else document
    year_ago = (datetime.now(UTC) - timedelta(days=365)).replace(microsecond=0)
    for entry in entries:
        entry["created_at"] = year_ago.isoformat()
    keyring.write_text(json.dumps(document, indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def verdicts(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    require_browser()
    instance = tmp_path_factory.mktemp("web-verdicts") / "instance"
    creditbank(instance, "init")
    _backdate_transcript_key(instance)
    creditbank(instance, "demo", "load")
    prepared = subprocess.run(
        [sys.executable, "-m", "tests.web.browser.verdict_transcripts"],
        env={**instance_env(instance), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    codes: dict[str, str] = json.loads(prepared.stdout.strip().splitlines()[-1])
    with serve(instance) as server:
        yield server, codes


CASES = {
    "valid": ("good", "验证通过：成绩单真实有效"),
    "expired": ("bad", "验证未通过：已过期"),
    "revoked": ("bad", "验证未通过：已撤销"),
    "altered": ("bad", "验证未通过：内容已被篡改"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_verdict_class_on_its_code_page(
    page: Page, verdicts: tuple[LiveServer, dict[str, str]], kind: str
) -> None:
    server, codes = verdicts
    page.goto(f"{server.url}/verify/{codes[kind]}")
    verdict = page.locator("#verdict")
    card, headline = CASES[kind]
    expect(verdict).to_have_attribute("data-verdict", kind)
    expect(verdict).to_have_class(re.compile(rf"\b{card}\b"))
    expect(page.locator("#verdict-h")).to_have_text(re.compile(re.escape(headline)))
    # The verdict comes first on the page, above the checks.
    verdict_top = verdict.bounding_box()
    checks_top = page.locator("#checks").bounding_box()
    assert verdict_top is not None and checks_top is not None
    assert verdict_top["y"] < checks_top["y"]
    if kind == "valid":
        expect(page.locator("#records-h")).to_have_text("成绩单上的记录")
        expect(page.locator("#claimed")).to_have_count(0)
    elif kind == "expired":
        expect(page.locator("#expired-at")).to_contain_text("(UTC+8)")
        expect(page.locator("#checks tr[data-check='validity dates']")).to_contain_text("未通过")
        expect(page.locator("#claimed")).to_contain_text("声称的内容（未经验证）")
    elif kind == "revoked":
        expect(page.locator("#revoked-category")).to_have_text("学习者本人撤回")
        expect(page.locator("#revoked-at")).to_contain_text("(UTC+8)")
        expect(page.locator("#no-grades")).to_be_visible()
        expect(page.locator("#records-h")).to_have_count(0)
    else:
        expect(page.locator("#verdict-check")).to_have_text("记录内容")
        expect(page.locator("#verdict-record")).to_contain_text("urn:uuid:")
        expect(page.locator("#claimed")).to_contain_text("声称的内容（未经验证）")
        expect(verdict).not_to_contain_text("学分")  # no claimed figures in the headline card
    screenshot(page, f"verify-verdict-{kind}")


def test_a_typed_code_lands_on_its_shareable_address(
    page: Page, verdicts: tuple[LiveServer, dict[str, str]]
) -> None:
    server, codes = verdicts
    page.goto(f"{server.url}/verify")
    page.get_by_label("在线验证码").fill(codes["revoked"].lower())
    page.locator("#verify-code").click()
    expect(page).to_have_url(f"{server.url}/verify/{codes['revoked']}")
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "revoked")
    page.goto(f"{server.url}/no/such/page")
    expect(page.locator("h1")).to_contain_text("404")
