"""Every page, in Chinese and English, on a desktop and on a 390 px phone, as each role meets it.

On each page: axe-core finds no serious or critical violation; no internal code (a
vocabulary value, a check name, a problem type, a rule id, see audit.py) stands untranslated
in the page's own-language text; at 390 px the page does not scroll sideways (tables scroll
inside their own focusable region or become cards); and a screenshot is saved in
test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from creditbank.demo import DEMO_KEYS, DEMO_PASSWORD, LEARNERS
from tests.web.browser import audit
from tests.web.browser.conftest import ROOT, LiveServer, screenshot
from tests.web.browser.test_pages import _issued_transcript, resident_id

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, expect

PHONE = 390
DESKTOP = 1280
REPORTS = ROOT / "test-artifacts" / "accessibility"
POLICIES = ROOT / "policies"

Visit = tuple[str, Callable[[Page], None]]


@pytest.fixture(scope="module")
def transcript(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A transcript issued to a demo learner, saved as its JSON file."""
    credential = _issued_transcript(live_server)
    path = tmp_path_factory.mktemp("every-page") / "transcript.json"
    path.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    return path


def _staff(server: LiveServer, who: str) -> Callable[[Page], None]:
    def sign_in(page: Page) -> None:
        page.goto(server.url + "/signin")
        page.locator("#api_key").fill(DEMO_KEYS[who][2])
        page.locator("#staff-signin").click()
        page.wait_for_load_state()

    return sign_in


def _learner(server: LiveServer, number: int) -> Callable[[Page], None]:
    def sign_in(page: Page) -> None:
        page.goto(server.url + "/signin")
        page.locator("#document_number").fill(LEARNERS[number].document_number)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("#learner-signin").click()
        page.wait_for_load_state()

    return sign_in


def _go(server: LiveServer, path: str) -> Callable[[Page], None]:
    return lambda page: page.goto(server.url + path) and None


def _follow(selector: str) -> Callable[[Page], None]:
    def follow(page: Page) -> None:
        page.locator(selector).first.click()
        page.wait_for_load_state()

    return follow


def _public(server: LiveServer, transcript: Path) -> Iterator[Visit]:
    code = json.loads(transcript.read_text(encoding="utf-8"))["verificationCode"]
    yield "home", _go(server, "/")
    yield "signin", _go(server, "/signin")
    yield "dashboard", _go(server, "/dashboard")
    yield "verify", _go(server, "/verify")

    def upload(page: Page) -> None:
        page.locator("input[type=file]").set_input_files(str(transcript))
        page.locator("#verify-submit").click()
        expect(page.locator("#verdict")).to_be_visible()

    yield "verify-upload", upload

    def tampered(page: Page) -> None:
        credential = json.loads(transcript.read_text(encoding="utf-8"))
        credential["validUntil"] = "2099-12-31T00:00:00Z"
        forged = transcript.with_name("tampered.json")
        forged.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
        page.goto(server.url + "/verify")
        page.locator("input[type=file]").set_input_files(str(forged))
        page.locator("#verify-submit").click()
        expect(page.locator("#failed")).to_be_visible()

    yield "verify-tampered", tampered
    yield "verify-code", _go(server, f"/verify/{code}")

    def refused(page: Page) -> None:
        page.goto(server.url + "/signin")
        # No such account: a wrong sign-in touches no demo learner (4 of 30 failures a minute).
        page.locator("#document_number").fill(resident_id("998"))
        page.locator("#password").fill("not-the-password")
        page.locator("#learner-signin").click()
        expect(page.locator("#signin-error")).to_be_visible()

    yield "signin-refused", refused
    yield "not-found", _go(server, "/no-such-page")
    yield "guide", _go(server, "/guide")
    yield "guide-policy", _go(server, "/guide/policies/cq-3plus2-industrial-robotics")
    yield "guide-notices", _go(server, "/guide/notices")


def _learner_pages(server: LiveServer) -> Iterator[Visit]:
    yield "portal-signin", _learner(server, 0)
    yield "portal", _go(server, "/portal")
    yield "portal-record", _follow("ol.timeline li a")
    yield "portal-notices", _go(server, "/portal/notices")
    yield "portal-data", _go(server, "/portal/data")
    yield "portal-evaluations", _go(server, "/portal/evaluations")
    yield "portal-applications", _go(server, "/portal/applications")


def _registrar_pages(server: LiveServer) -> Iterator[Visit]:
    yield "registrar-signin", _staff(server, "cq-gz-registrar")
    yield "registrar", _go(server, "/registrar")
    yield "registrar-learner", _follow("a[href*='/registrar/learners/']")

    def what_if(page: Page) -> None:
        page.locator("#policy").select_option("cq-3plus2-industrial-robotics")
        page.locator("#run-whatif").click()
        expect(page.locator("#recognised")).to_be_visible()

    yield "registrar-what-if", what_if

    def cohort(page: Page) -> None:
        page.goto(server.url + "/registrar")
        page.locator("#cohort-policy").select_option("cq-3plus2-industrial-robotics")
        page.locator("#submit-cohort").click()
        page.wait_for_url("**/registrar/cohorts/**")

    yield "registrar-cohort", cohort
    yield "registrar-queue", _go(server, "/registrar/queue")


def _upload_file(directory: Path) -> Path:
    header = (
        "document_kind,document_number,name,kind,course_code,title_zh,source_institution,level,"
        "programme,term,hours,credits,grade_scale,grade_value,completed_on"
    )
    bad = (
        f"resident_id,{resident_id('944')},钱进,course,JX902,电工电子技术,CQ-GZ-001,gaozhi,"
        "机电一体化技术,2024-2025-2,48,lots,percent,77,2025-06-20"
    )
    path = directory / "records.csv"
    path.write_text(f"{header}\n{bad}\n", encoding="utf-8")
    return path


def _institution_pages(server: LiveServer, directory: Path) -> Iterator[Visit]:
    yield "institution-signin", _staff(server, "cq-gz-admin")
    yield "institution", _go(server, "/institution")
    yield "institution-record", _follow("a[href*='/institution/records/']")

    def preview(page: Page) -> None:
        page.goto(server.url + "/institution")
        page.locator("input[type=file]").set_input_files(str(_upload_file(directory)))
        page.locator("#check-upload").click()
        expect(page.locator("#summary")).to_be_visible()

    yield "institution-upload-preview", preview
    yield "institution-keys", _go(server, "/institution/keys")
    yield "institution-notices", _go(server, "/institution/notices")
    yield "institution-policies", _go(server, "/admin/policies")

    def draft(page: Page) -> None:
        # A new catalog year of a policy of its own, checked (a draft: nothing is published).
        for field, name in (("#policy-file", ".2027.toml"), ("#cases-file", ".2027.cases.toml")):
            path = POLICIES / f"cq-five-year-computer-applications{name}"
            page.locator(field).set_input_files(str(path))
        page.locator("#check-policy").click()
        expect(page.locator("#draft-status")).to_be_visible()

    yield "institution-policy-draft", draft


def _admin_pages(server: LiveServer) -> Iterator[Visit]:
    yield "admin-signin", _staff(server, "operator")
    yield "admin", _go(server, "/admin")
    yield "admin-job", _go(server, "/admin/jobs/checkpoint")
    yield "admin-policies", _go(server, "/admin/policies")


GROUPS = ("public", "learner", "registrar", "institution", "admin")


def _visits(group: str, server: LiveServer, transcript: Path, directory: Path) -> Iterator[Visit]:
    if group == "public":
        return _public(server, transcript)
    if group == "learner":
        return _learner_pages(server)
    if group == "registrar":
        return _registrar_pages(server)
    if group == "institution":
        return _institution_pages(server, directory)
    return _admin_pages(server)


# The outermost elements that reach past the viewport's right edge, for the failure message.
_WIDER = """(width) => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        if (el.getBoundingClientRect().right <= width + 0.5) continue;
        const parent = el.parentElement;
        if (parent && parent.getBoundingClientRect().right > width + 0.5) continue;
        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 (el.className ? '.' + String(el.className).replace(/ /g, '.') : ''));
    }
    return out.slice(0, 8);
}"""


def _check(page: Page, lang: str, width: int) -> dict[str, Any]:
    found: dict[str, Any] = {"url": page.url}
    violations = audit.run_axe(page)
    found["axe"] = [v for v in violations if v["impact"] in audit.BLOCKING]
    found["axe-minor"] = [v["id"] for v in violations if v["impact"] not in audit.BLOCKING]
    found["codes"] = audit.codes_in(audit.visible_text(page), lang)
    found["unmarked-chinese"] = audit.unmarked_chinese(page)
    # A verification code is read out and typed as one piece: it never breaks across lines.
    found["wrapped-codes"] = page.evaluate(
        """() => [...document.querySelectorAll('.code')]
            .filter(el => el.getClientRects().length > 1).map(el => el.textContent)"""
    )
    if width == PHONE:
        scroll = int(page.evaluate("() => document.documentElement.scrollWidth"))
        found["overflow"] = (
            {"scroll_width": scroll, "wider": page.evaluate(_WIDER, PHONE)}
            if scroll > PHONE
            else None
        )
    return found


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("group", GROUPS)
def test_every_page_is_accessible_translated_and_fits(
    browser: Browser,
    live_server: LiveServer,
    transcript: Path,
    tmp_path: Path,
    group: str,
    lang: str,
    width: int,
) -> None:
    audit.require_axe()
    context = browser.new_context(
        locale="zh-CN" if lang == "zh" else "en-GB",
        viewport={"width": width, "height": 844 if width == PHONE else 900},
        # axe-core is injected as a script; the pages' CSP (rightly) allows none.
        bypass_csp=True,
    )
    context.add_cookies([{"name": "cb_lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    report: dict[str, Any] = {}
    try:
        for name, visit in _visits(group, live_server, transcript, tmp_path):
            visit(page)
            if name.endswith("-signin"):
                continue
            expected = "en" if lang == "en" else "zh-CN"
            assert page.locator("html").get_attribute("lang") == expected, name
            size = "phone" if width == PHONE else "desktop"
            screenshot(page, f"{name}-{lang}-{size}")
            report[name] = _check(page, lang, width)
    finally:
        context.close()
    REPORTS.mkdir(parents=True, exist_ok=True)
    out = REPORTS / f"{group}-{lang}-{'phone' if width == PHONE else 'desktop'}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    problems = [
        f"{name}: {kind}: {value}"
        for name, found in report.items()
        for kind in ("axe", "codes", "unmarked-chinese", "wrapped-codes", "overflow")
        for value in ([found.get(kind)] if kind == "overflow" else found.get(kind, []))
        if value
    ]
    assert not problems, "\n".join(problems)


def test_the_checks_find_what_they_look_for(browser: Browser, live_server: LiveServer) -> None:
    """axe, the code scan and the overflow measure each catch a page made to fail them."""
    audit.require_axe()
    context = browser.new_context(viewport={"width": PHONE, "height": 844}, bypass_csp=True)
    page = context.new_page()
    try:
        page.set_content(
            '<html lang="zh-CN"><body><main><img src="x.png"><button></button>'
            "<p>层次：gaozhi · 状态 under_review · <code>resident_id</code></p>"
            '<p lang="en">active</p><div style="width: 800px">wide</div>'
            '<p style="width: 90px">验证码 <code class="code" style="word-break: break-all">'
            "K32HQFNBM8FUV85B</code></p></main></body></html>"
        )
        found = _check(page, "zh", PHONE)
    finally:
        context.close()
    assert {v["id"] for v in found["axe"]} >= {"image-alt", "button-name"}
    codes = " ".join(found["codes"])
    assert "gaozhi (" in codes
    assert "resident_id (" not in codes  # marked up as code on purpose
    assert "active (" not in codes  # in an English fragment, marked as such
    assert found["overflow"]["scroll_width"] > PHONE
    assert found["wrapped-codes"] == ["K32HQFNBM8FUV85B"]
    # On an English page a code spelled like an English word reads as one; pinyin does not.
    english = audit.codes_in("Level: gaozhi; status active", "en")
    assert [found.split(" ")[0] for found in english] == ["gaozhi"]
