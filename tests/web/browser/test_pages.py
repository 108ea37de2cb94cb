"""End to end in headless Chromium: every kind of user doing their main task on the pages."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from creditbank.demo import DEMO_KEYS, DEMO_PASSWORD, LEARNERS
from creditbank.identity.documents import check_digit
from tests.web.browser.conftest import LiveServer, creditbank, screenshot

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect


def sign_in_staff(page: Page, server: LiveServer, label: str) -> None:
    page.goto(server.url + "/signin")
    page.get_by_label("API 密钥").fill(DEMO_KEYS[label][2])
    page.locator("#staff-signin").click()


def sign_in_learner(page: Page, server: LiveServer, number: int) -> None:
    page.goto(server.url + "/signin")
    page.get_by_label("证件号码").fill(LEARNERS[number].document_number)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.locator("#learner-signin").click()


def resident_id(sequence: str) -> str:
    first17 = "500105" + "20060101" + sequence
    return first17 + check_digit(first17)


@pytest.mark.phone
def test_a_learner_signs_in_and_grants_consent(page: Page, live_server: LiveServer) -> None:
    sign_in_learner(page, live_server, 1)
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.get_by_role("heading", name="我的学习账户")).to_be_visible()
    expect(page.locator("ol.timeline li").first).to_contain_text("学分")
    page.get_by_label("机构", exact=True).select_option("CQ-GZ-001")
    page.get_by_label("范围").select_option("evaluate")
    page.locator("#grant-consent").click()
    expect(page.locator(".messages")).to_contain_text("已授权 CQ-GZ-001")
    row = page.locator("#consents + .table-wrap tbody tr").first
    expect(row).to_contain_text("有效")
    page.locator("#request-transcript label.check input").first.check()
    page.get_by_label("有效天数（30–180）").fill("60")
    page.locator("#request-submit").click()
    expect(page.locator(".messages")).to_contain_text("成绩单已签发")
    expect(page.locator("#transcript-list tbody tr").first).to_contain_text("有效")
    with page.expect_download() as saved:
        page.locator("a.download-json").first.click()
    credential = json.loads(Path(saved.value.path()).read_text(encoding="utf-8"))
    assert credential["type"][-1] == "ClrCredential" or "ClrCredential" in credential["type"]
    screenshot(page, "learner-portal-phone")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="My learning account")).to_be_visible()
    screenshot(page, "learner-portal-phone-en")
    page.get_by_role("link", name="中文").click()
    if not page.locator("a.download-pdf").count():
        expect(page.locator("#pdf-unavailable")).to_be_visible()
        pytest.skip("this build has no PDF renderer (creditbank.transcripts.pdf): PDF not fetched")
    with page.expect_download() as pdf:
        page.locator("a.download-pdf").first.click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")


def test_a_registrar_runs_reads_and_commits_an_evaluation(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_staff(page, live_server, "cq-gz-registrar")
    expect(page).to_have_url(re.compile(r"/registrar$"))
    page.get_by_role("link", name=re.compile("查看与认定 李明")).click()
    page.get_by_label("认定政策").select_option("cq-3plus2-industrial-robotics")
    page.locator("#run-whatif").click()
    expect(page.get_by_role("heading", name="模拟评估结果（未记录）")).to_be_visible()
    courses = page.locator("#courses tbody tr")
    assert courses.count() > 0
    expect(page.locator("#courses")).to_contain_text("认定")
    recognised = page.locator("#recognised").inner_text()
    assert float(recognised) > 0
    screenshot(page, "registrar-what-if")
    page.locator("#commit-evaluation").click()
    expect(page.locator("#committed")).to_contain_text("账本序号")
    expect(page.locator(".messages")).to_contain_text("评估已提交")
    expect(page.locator(".messages")).to_contain_text("门课程的转换学分")
    assert page.locator("#recognised").inner_text() == recognised
    screenshot(page, "registrar-committed")


def test_a_registrar_runs_a_cohort_and_downloads_its_csv(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_staff(page, live_server, "cq-gz-registrar")
    page.get_by_label("认定政策").select_option("cq-3plus2-industrial-robotics")
    page.locator("#submit-cohort").click()
    expect(page).to_have_url(re.compile(r"/registrar/cohorts/"))
    # The page does not refresh by itself (that would pull the page from under a screen
    # reader): it is reloaded until the background job is done.
    for _ in range(60):
        if page.locator("#job-status").inner_text() == "已完成":
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.locator("#job-status")).to_have_text("已完成")
    screenshot(page, "registrar-cohort")
    with page.expect_download() as download:
        page.locator("#cohort-csv").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs for UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("学习者编号,姓名,已认定学分,尚需学分,尚缺课程")
    assert len(lines) >= 2
    # Learners who let the college read their account are named (the demo's 李明 does).
    assert any(",李明," in line for line in lines[1:]), lines


def test_an_institution_uploads_a_csv_with_a_bad_row(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    header = (
        "document_kind,document_number,name,kind,course_code,title_zh,source_institution,level,"
        "programme,term,hours,credits,grade_scale,grade_value,completed_on"
    )
    good = (
        f"resident_id,{resident_id('611')},赵磊,course,JX201,液压与气动技术,CQ-GZ-001,gaozhi,"
        "机电一体化技术,2024-2025-2,48,3,percent,81,2025-06-20"
    )
    bad = (
        f"resident_id,{resident_id('622')},钱进,course,JX202,电工电子技术,CQ-GZ-001,gaozhi,"
        "机电一体化技术,2024-2025-2,48,lots,percent,77,2025-06-20"
    )
    upload = tmp_path / "records.csv"
    upload.write_text("\n".join([header, good, bad]) + "\n", encoding="utf-8")
    sign_in_staff(page, live_server, "cq-gz-poster")
    expect(page).to_have_url(re.compile(r"/institution$"))
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(str(upload))
    page.locator("#check-upload").click()
    expect(page.locator("#summary")).to_contain_text("1 行有误")
    problems = page.locator("#problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("3")
    expect(problems.first).to_contain_text("credits")
    screenshot(page, "institution-upload-bad-row")
    page.locator("#post-upload").click()
    expect(page.locator(".messages")).to_contain_text("登记 1 条")
    expect(page.locator("#batches tbody tr").first).to_contain_text("1")
    screenshot(page, "institution-posted")


def _figure(page: Page, name: str) -> int:
    return int(page.locator(f"#fig-{name}").inner_text())


def test_the_dashboard_changes_after_records_are_posted(
    page: Page, live_server: LiveServer
) -> None:
    # Earlier tests in this module post records too; bring the snapshot up to date
    # first so the baseline and the figure after posting come from the same job.
    creditbank(live_server.instance, "scheduler", "run-once", "dashboard")
    page.goto(live_server.url + "/dashboard")
    records, ledger, learners = (
        _figure(page, "records"),
        _figure(page, "ledger"),
        _figure(page, "learners"),
    )
    assert records > 0
    opened = live_server.api(
        "POST",
        "/api/v1/learners",
        "bj-pj-poster",
        {"name": "孙悦", "document": {"kind": "resident_id", "number": resident_id("733")}},
    )
    certificate = {
        "learner_id": opened["id"],
        "kind": "certificate",
        "certificate_type": "one_plus_x",
        "title": "工业机器人操作与运维",
        "level": "zhongji",
        "certificate_number": f"X-{uuid.uuid4().hex[:10]}",
        "awarding_organisation": "BJ-PJ-001",
        "issued_on": "2025-07-01",
    }
    live_server.api(
        "POST",
        "/api/v1/records",
        "bj-pj-poster",
        {
            "records": [
                certificate,
                {**certificate, "certificate_number": "X-" + uuid.uuid4().hex[:10]},
            ]
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    # The page reads the indicators' snapshot; the dashboard job brings it up to date.
    creditbank(live_server.instance, "scheduler", "run-once", "dashboard")
    page.reload()
    assert _figure(page, "records") == records + 2
    assert _figure(page, "learners") == learners + 1
    assert _figure(page, "ledger") >= ledger + 3
    chart = page.locator("img[src$='certificates.svg']")
    expect(chart).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", chart.element_handle()) > 0
    screenshot(page, "dashboard")


def test_a_learner_puts_a_recognised_transfer_on_a_transcript(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_learner(page, live_server, 0)
    # Standing ones (another test may have committed a later evaluation, superseding some).
    standing = page.locator("#transfer-list tbody tr", has_text="有效")
    expect(standing.first).to_contain_text("工业机器人技术 · 3+2")
    page.locator("#transfer-list").scroll_into_view_if_needed()
    screenshot(page, "learner-transfers")
    page.locator("#request-transcript input[id^=tr-]").first.check()
    page.locator("#request-submit").click()
    expect(page.locator(".messages")).to_contain_text("成绩单已签发")
    with page.expect_download() as saved:
        page.locator("a.download-json").first.click()
    credential = json.loads(Path(saved.value.path()).read_text(encoding="utf-8"))
    nested = credential["credentialSubject"]["verifiableCredential"]
    assert [n["credentialSubject"]["recordKind"] for n in nested] == ["transfer"]


def test_a_learner_cannot_reach_another_learners_pages(page: Page, live_server: LiveServer) -> None:
    sign_in_learner(page, live_server, 0)
    page.locator("ol.timeline li a").first.click()
    own_record = page.url
    assert "/portal/records/" in own_record
    page.get_by_role("button", name="退出").click()
    sign_in_learner(page, live_server, 2)
    expect(page).to_have_url(re.compile(r"/portal$"))
    response = page.goto(own_record)
    assert response is not None and response.status == 403
    expect(page.locator("[role=alert]")).to_contain_text("403")
    screenshot(page, "learner-forbidden")
    response = page.goto(live_server.url + "/registrar")
    assert response is not None and response.status == 403


def _issued_transcript(server: LiveServer) -> dict[str, object]:
    signed = server.api(
        "POST",
        "/api/v1/sessions",
        body={
            "document": {"kind": "resident_id", "number": LEARNERS[3].document_number},
            "password": DEMO_PASSWORD,
        },
    )
    credential: dict[str, object] = server.api(
        "POST",
        "/api/v1/transcripts",
        body={"language": "zh", "validity_days": 90},
        headers={"Authorization": f"Bearer {signed['token']}"},
    )
    return credential


def test_an_employer_verifies_a_valid_and_a_tampered_transcript(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    credential = _issued_transcript(live_server)
    genuine = tmp_path / "transcript.json"
    genuine.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    page.goto(live_server.url + "/verify")
    page.get_by_label("上传成绩单文件（JSON）").set_input_files(str(genuine))
    page.locator("#verify-submit").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_class(re.compile(r"\bgood\b"))
    expect(verdict).to_contain_text("验证通过")
    assert int(page.locator("#verified-records").inner_text()) > 0
    expect(page.locator("#checks")).not_to_contain_text("未通过")
    screenshot(page, "verify-valid")

    tampered = json.loads(json.dumps(credential))
    tampered["validUntil"] = "2099-12-31T00:00:00Z"  # a holder stretching the validity
    forged = tmp_path / "tampered.json"
    forged.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    page.goto(live_server.url + "/verify")
    page.get_by_label("上传成绩单文件（JSON）").set_input_files(str(forged))
    page.locator("#verify-submit").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_class(re.compile(r"\bbad\b"))
    expect(verdict).to_contain_text("验证未通过")
    expect(page.locator("#failed")).to_contain_text("成绩单签名")
    screenshot(page, "verify-tampered")

    page.goto(live_server.url + "/verify/" + str(credential["verificationCode"]))
    expect(page.locator("#verdict")).to_contain_text("验证通过")


def test_an_operator_reads_the_scheduled_jobs(page: Page, live_server: LiveServer) -> None:
    sign_in_staff(page, live_server, "operator")
    page.goto(live_server.url + "/admin#jobs")
    jobs = page.locator("#jobs-table")
    expect(jobs).to_contain_text("checkpoint")
    expect(jobs).to_contain_text("仅领导者")
    expect(page.locator("#leader")).to_be_visible()
    page.locator("#jobs").scroll_into_view_if_needed()
    screenshot(page, "admin-jobs")
    page.locator("#job-checkpoint a").click()
    expect(page.locator("h1")).to_contain_text("checkpoint")
    expect(page.get_by_label("结果")).to_be_visible()
    screenshot(page, "admin-job-runs")


def test_the_verification_page_names_the_poster_and_the_source(
    page: Page, live_server: LiveServer
) -> None:
    """A 1+X organisation posts a course from a college under the college's delegation."""
    api = live_server.api
    api(
        "POST",
        "/api/v1/institutions/CQ-GZ-001/delegations",
        "cq-gz-admin",
        {"delegate": "BJ-PJ-001", "kinds": ["course"], "reason": "1+X 课证融通：证书课程代为登记"},
    )
    signed = api(
        "POST",
        "/api/v1/sessions",
        body={
            "document": {"kind": "resident_id", "number": LEARNERS[5].document_number},
            "password": DEMO_PASSWORD,
        },
    )
    token = {"Authorization": f"Bearer {signed['token']}"}
    learner = api("GET", "/api/v1/learners/me", headers=token)["id"]
    course = {
        "learner_id": learner,
        "kind": "course",
        "course_code": "GZ-GYJQR-X1",
        "title_zh": "工业机器人操作与运维（1+X 课证融通）",
        "source_institution": "CQ-GZ-001",
        "level": "gaozhi",
        "programme": "工业机器人技术",
        "term": "2023-2024-2",
        "hours": 48,
        "credits": "3",
        "grade": {"scale": "two_level", "value": "合格"},
        "completed_on": "2024-06-28",
    }
    posted = api(
        "POST",
        "/api/v1/records",
        "bj-pj-poster",
        {"records": [course]},
        headers={"Idempotency-Key": f"browser-{uuid.uuid4()}"},
    )
    record = posted["records"][0]["id"]
    credential = api(
        "POST",
        "/api/v1/transcripts",
        body={"records": [record], "language": "zh", "validity_days": 30},
        headers=token,
    )
    page.goto(live_server.url + "/verify/" + str(credential["verificationCode"]))
    expect(page.locator("#verdict")).to_contain_text("验证通过")
    row = page.locator("table[aria-labelledby=records-h] tbody tr", has_text="课证融通")
    expect(row).to_contain_text("重庆工程职业技术学院")
    expect(row.locator(".posted-by")).to_contain_text("受委托登记")
    expect(row.locator(".posted-by")).to_contain_text("培训评价组织")
    expect(page.locator("#checks")).to_contain_text("登记机构与来源")
    expect(page.locator("#checks")).not_to_contain_text("未通过")
    screenshot(page, "verify-poster-and-source")
