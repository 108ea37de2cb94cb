"""Recognition as a process, in a browser: review when a source changes, 公示, and 复核.

These tests change the demonstration bank (a record revoked, applications decided), so they
run against their own server and instance rather than the session's shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from creditbank.demo import DEMO_KEYS, LEARNERS
from tests.web.browser.conftest import LiveServer, creditbank, require_browser, screenshot, serve
from tests.web.browser.test_pages import sign_in_learner, sign_in_staff

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect

POLICY = "cq-3plus2-industrial-robotics"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """gunicorn serving a demonstration instance of this module's own."""
    require_browser()
    instance: Path = tmp_path_factory.mktemp("recognition-live") / "instance"
    for command in (["init"], ["demo", "load"]):
        creditbank(instance, *command)
    with serve(instance) as server:
        server.api("POST", f"/api/v1/policies/{POLICY}/publish", "operator")
        yield server


def _li_filled_record(server: LiveServer) -> tuple[str, str, str]:
    """李明's record that filled a recognised transfer: the record, its poster, the transfer."""
    li = server.api("GET", "/api/v1/consents?scope=evaluate", "cq-gz-registrar")["learners"][0]
    transfers = server.api("GET", f"/api/v1/learners/{li}/transfers", "cq-gz-registrar")
    by_course = {t["course"]["code"]: t for t in transfers["transfers"]}
    evaluation = transfers["transfers"][0]["evaluation"]
    result = server.api("GET", f"/api/v1/evaluations/{evaluation}", "cq-gz-registrar")["result"]
    posters = {
        code: label for label, (code, role, _) in DEMO_KEYS.items() if role.value == "poster"
    }
    for course in result["courses"]:
        for filled in course["filled_by"]:
            for record in filled["records"]:
                shown = server.api("GET", f"/api/v1/records/{record}", "cq-gz-registrar")
                if shown["institution"] in posters and course["code"] in by_course:
                    return record, posters[shown["institution"]], by_course[course["code"]]["id"]
    raise AssertionError("no recognised course filled by a record a demo poster can revoke")


def test_a_revocation_puts_a_transfer_under_review_and_blocks_a_transcript(
    page: Page, own_server: LiveServer
) -> None:
    record, poster, transfer_id = _li_filled_record(own_server)
    # 李明 puts the recognised course on a transcript first.
    sign_in_learner(page, own_server, 0)
    page.locator(f"#tr-{transfer_id}").check()
    page.get_by_label("有效天数（30–180）").fill("60")
    page.locator("#request-submit").click()
    expect(page.locator(".messages")).to_contain_text("成绩单已签发")

    # The institution revokes the record the course stood on.
    staff = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    sign_in_staff(staff, own_server, poster)
    staff.goto(own_server.url + f"/institution/records/{record}")
    staff.get_by_label("撤销原因").fill("成绩登记有误")
    staff.get_by_role("button", name="撤销记录").click()
    expect(staff.locator("#record-status")).to_have_text("已撤销")

    # 李明 sees why; the transcript holding it was revoked; no new one may include it.
    page.goto(own_server.url + "/portal")
    row = page.locator("#transfer-list tbody tr", has_text="复查中")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("所依据的记录已被撤销")
    expect(page.locator("#transcript-list tbody tr").first).to_contain_text("已撤销")
    expect(page.locator(f"#tr-{transfer_id}")).to_have_count(0)
    screenshot(page, "learner-transfer-under-review")

    # The registrar's work queue lists it with the change, and confirms it with a reason.
    registrar = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    sign_in_staff(registrar, own_server, "cq-gz-registrar")
    expect(registrar.locator("#queue-count")).not_to_have_text("0")
    registrar.locator("#queue-link").click()
    queue = registrar.locator("#review-queue tbody tr", has_text="成绩登记有误")
    expect(queue).to_have_count(1)
    screenshot(registrar, "registrar-review-queue")
    queue.get_by_label("确认理由").fill("该课程另有有效成绩记录")
    queue.get_by_role("button", name="确认继续有效").click()
    expect(registrar.locator(".messages")).to_contain_text("已确认")
    page.goto(own_server.url + "/portal")
    expect(page.locator(f"#tr-{transfer_id}")).to_have_count(1)


def test_the_application_pipeline_through_public_notice_with_an_objection(
    page: Page, own_server: LiveServer
) -> None:
    own_server.api(
        "PUT", "/api/v1/institutions/CQ-GZ-001/notice-period", "cq-gz-admin", {"days": 7}
    )
    # 申请: 陈静 looks the policy up in the guide, tries her records, then applies.
    sign_in_learner(page, own_server, 4)
    page.goto(own_server.url + "/guide")
    page.locator(f"a[href='/guide/policies/{POLICY}']").click()
    expect(page.get_by_role("heading", name="可认定的课程")).to_be_visible()
    page.locator("#try-mine").click()
    expect(page.locator("#what-if-recognised")).to_be_visible()
    screenshot(page, "guide-what-if")
    page.get_by_role("link", name="向该机构申请认定").click()
    expect(page.locator("#apply-policy")).to_have_value(POLICY)
    boxes = page.locator("input[name='records']")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.locator("#apply").click()
    expect(page.locator(".messages")).to_contain_text("申请已提交")
    expect(page.locator(".application-state").first).to_have_text("已申请，待审核")

    # 审核: the registrar has the what-if in front of them and approves.
    registrar = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    sign_in_staff(registrar, own_server, "cq-gz-registrar")
    registrar.goto(own_server.url + "/registrar/queue")
    registrar.locator("#application-queue a").first.click()
    expect(registrar.get_by_role("heading", name="模拟评估（未记录）")).to_be_visible()
    registrar.get_by_label("审核意见（驳回或调整时必填）").fill("符合政策")
    registrar.locator("#approve").click()
    expect(registrar.locator(".messages")).to_contain_text("公示中")

    # 公示: public, masked; anyone objects.
    public = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    public.goto(own_server.url + "/guide/notices")
    notice = public.locator("section.notice").first
    expect(notice.locator(".public-name")).to_have_text(LEARNERS[4].name[0] + "*")
    assert LEARNERS[4].name not in public.content()
    notice.get_by_label("异议理由").fill("该生部分课程成绩存疑")
    notice.get_by_role("button", name="提出异议").click()
    expect(public.locator(".messages")).to_contain_text("异议已提交")
    screenshot(public, "public-notice")

    # The registrar resolves it; committing waits for the end of the notice period.
    registrar.goto(own_server.url + "/registrar/queue")
    objection = registrar.locator(".objection", has_text="该生部分课程成绩存疑")
    objection.get_by_label("处理意见").fill("经核实成绩无误")
    objection.get_by_role("button", name="异议不成立").click()
    expect(registrar.locator(".messages")).to_contain_text("异议已处理")
    expect(registrar.locator("button[id^='commit-']").first).to_be_disabled()
    screenshot(registrar, "registrar-on-notice")

    # The learner sees every step.
    page.goto(own_server.url + "/portal/applications")
    expect(page.locator(".application-state").first).to_have_text("审核通过，公示中")
    expect(page.locator("ol.steps").first).to_contain_text("审核通过：符合政策")


def test_the_learner_appeals_from_the_portal(page: Page, own_server: LiveServer) -> None:
    sign_in_learner(page, own_server, 0)
    page.locator("#evaluations-link").click()
    current = page.locator("section.card.good").first
    expect(current.locator(".not-recognised-list")).to_contain_text("—")
    current.get_by_label("复核理由").fill("我的实训证书应当计入")
    current.get_by_role("button", name="申请复核").click()
    expect(page.locator(".messages")).to_contain_text("复核已完成")
    appeal = page.locator("section.card.good").first
    expect(appeal).to_contain_text("复核结果")
    expect(appeal).to_contain_text("我的实训证书应当计入")
    screenshot(page, "learner-appeal")
    page.locator("#nav-notices").click()
    expect(page.locator("#notices")).to_contain_text("申诉已有结果")
