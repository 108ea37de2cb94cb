"""Recognition pages through the test client: the learner's evaluations and 复核, the queue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.demo import DEMO_KEYS, LEARNERS
from creditbank.evaluations.sealed_results import read_result
from creditbank.evaluations.service import evaluation_t
from creditbank.notices.service import Recipient, list_notices
from creditbank.records.service import read_record
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.web.conftest import learner, post_form, staff


def _text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _li(demo: Services) -> tuple[str, dict[str, object]]:
    with read_connection(demo.engine) as connection:
        row = connection.execute(
            select(evaluation_t).order_by(evaluation_t.c.ledger_index.desc())
        ).first()
        assert row is not None
        return row.learner, {"id": row.id, "result": read_result(connection, row)}


def test_the_learner_reads_why_and_appeals_from_the_portal(app: Flask, demo: Services) -> None:
    client = learner(app.test_client())
    learner_id, evaluation = _li(demo)
    page = _text(client.get("/portal/evaluations"))
    result = evaluation["result"]
    assert isinstance(result, dict)
    recognised = [c for c in result["courses"] if c["recognised_credits"] != "0"]
    missing = [c for c in result["courses"] if c["recognised_credits"] == "0"]
    assert recognised and missing
    # Each course with the engine's own explanation, in the page's language.
    assert recognised[0]["reasons"][0]["zh"] in page
    assert missing[0]["reasons"][0]["zh"] in page
    client.get("/lang/en?next=/portal/evaluations")
    english = _text(client.get("/portal/evaluations"))
    assert missing[0]["reasons"][0]["en"] in english
    assert missing[0]["reasons"][0]["zh"] not in english
    # 复核 without a reason is refused; with one, a linked evaluation is committed.
    path = f"/portal/evaluations/{evaluation['id']}/appeal"
    assert post_form(client, path, {}, page="/portal/evaluations").status_code == 400  # type: ignore[attr-defined]
    answer = post_form(client, path, {"why": "实训证书应可认定"}, page="/portal/evaluations")
    assert answer.status_code == 302  # type: ignore[attr-defined]
    with read_connection(demo.engine) as connection:
        appeal = connection.execute(
            select(evaluation_t).where(evaluation_t.c.appeal_of == evaluation["id"])
        ).one()
        notices = list_notices(connection, Recipient.LEARNER, learner_id)
    assert appeal.appeal_reason == "实训证书应可认定"
    assert appeal.learner == learner_id
    decided = [n for n in notices if n.kind.value == "appeal_decided"]
    assert [n.params["evaluation"] for n in decided] == [appeal.id]
    shown = _text(client.get("/portal/evaluations"))
    assert "实训证书应可认定" in shown
    # The appealed evaluation is no longer current: only the new one offers 复核.
    assert f'id="appeal-{appeal.id}"' in shown
    assert f'id="appeal-{evaluation["id"]}"' not in shown


def test_another_learner_cannot_appeal_it(app: Flask, demo: Services) -> None:
    _, evaluation = _li(demo)
    other = learner(app.test_client(), 1)
    answer = post_form(
        other,
        f"/portal/evaluations/{evaluation['id']}/appeal",
        {"why": "x"},
        page="/portal",
    )
    assert answer.status_code == 403  # type: ignore[attr-defined]


def test_a_revoked_source_shows_in_the_queue_and_is_confirmed(app: Flask, demo: Services) -> None:
    learner_id, evaluation = _li(demo)
    result = evaluation["result"]
    assert isinstance(result, dict)
    filled = next(c for c in result["courses"] if c["filled_by"] and c["filled_by"][0]["records"])
    record_id = filled["filled_by"][0]["records"][0]
    with read_connection(demo.engine) as connection:
        poster = read_record(connection, record_id).institution
    label = next(
        k for k, (code, role, _) in DEMO_KEYS.items() if code == poster and role.value == "poster"
    )
    institution = staff(app.test_client(), label)
    answer = post_form(
        institution,
        f"/institution/records/{record_id}/revoke",
        {"reason": "成绩登记错误"},
        page="/institution",
    )
    assert answer.status_code == 302, _text(answer)
    # The learner's account says why.
    portal = _text(learner(app.test_client()).get("/portal"))
    assert "复查中" in portal and "所依据的记录已被撤销" in portal
    registrar = staff(app.test_client(), "cq-gz-registrar")
    assert re.search(r'id="queue-count">[1-9]', _text(registrar.get("/registrar")))
    queue = _text(registrar.get("/registrar/queue"))
    assert filled["code"] in queue and "成绩登记错误" in queue
    assert LEARNERS[0].name in queue  # the learner still lets the institution read the account
    transfer = re.search(r'id="confirm-([0-9a-f-]+)"', queue)
    assert transfer is not None
    confirmed = post_form(
        registrar,
        f"/registrar/queue/transfers/{transfer.group(1)}/confirm",
        {"reason": "另有有效成绩"},
        page="/registrar/queue",
    )
    assert confirmed.status_code == 302
    assert "没有待复查的学分转换" in _text(registrar.get("/registrar/queue"))
    assert LEARNERS[0].document_number not in queue  # the queue shows no document
    assert learner_id


# --- 申请 → 审核 → 公示 → 认定 through the pages ----------------------------------------------


def _ids(page: str, pattern: str) -> list[str]:
    return re.findall(pattern, page)


def test_an_application_through_public_notice_with_an_objection(
    app: Flask, demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = DEMO_KEYS["cq-gz-admin"][2]
    period = app.test_client().put(
        "/api/v1/institutions/CQ-GZ-001/notice-period",
        json={"days": 5},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert period.status_code == 200
    chen = learner(app.test_client(), 4)
    form = _text(chen.get("/portal/applications?policy=cq-3plus2-industrial-robotics"))
    assert 'value="cq-3plus2-industrial-robotics" selected' in form
    records = _ids(form, r'name="records" value="([0-9a-f-]+)"')
    assert records
    until = (utc_now() + timedelta(days=90)).date().isoformat()
    applied = chen.post(
        "/portal/applications",
        data={
            "csrf_token": _token(form),
            "policy": "cq-3plus2-industrial-robotics",
            "records": records,
            "consent_until": until,
        },
    )
    assert applied.status_code == 302, _text(applied)
    mine = _text(chen.get("/portal/applications"))
    assert "已申请，待审核" in mine

    registrar = staff(app.test_client(), "cq-gz-registrar")
    queue = _text(registrar.get("/registrar/queue"))
    application_id = _ids(queue, r'id="review-([0-9a-f-]+)"')[0]
    review_page = _text(registrar.get(f"/registrar/queue/applications/{application_id}"))
    assert "模拟评估（未记录）" in review_page and LEARNERS[4].name in review_page
    decided = post_form(
        registrar,
        f"/registrar/queue/applications/{application_id}/decide",
        {"action": "approve", "exc_type": "none"},
        page=f"/registrar/queue/applications/{application_id}",
    )
    assert decided.status_code == 302, _text(decided)

    # 公示: the public page shows 陈* and no personal data; anyone objects.
    public = app.test_client()
    notices = _text(public.get("/guide/notices"))
    assert "陈*" in notices and LEARNERS[4].name not in notices
    assert LEARNERS[4].document_number not in notices
    objected = post_form(
        public,
        f"/guide/notices/{application_id}/objections",
        {"reason": "该生课程成绩存疑"},
        page="/guide/notices",
    )
    assert objected.status_code == 302, _text(objected)
    queue = _text(registrar.get("/registrar/queue"))
    assert "该生课程成绩存疑" in queue
    assert f'id="commit-{application_id}" disabled' in queue
    objection = _ids(queue, r'id="dismiss-([0-9a-f-]+)"')[0]
    dismissed = post_form(
        registrar,
        f"/registrar/queue/objections/{objection}/resolve",
        {"uphold": "0", "reason": "成绩经核实无误"},
        page="/registrar/queue",
    )
    assert dismissed.status_code == 302
    early = post_form(
        registrar, f"/registrar/queue/applications/{application_id}/commit", {}, "/registrar/queue"
    )
    assert early.status_code == 409

    later = utc_now() + timedelta(days=6)
    monkeypatch.setattr("creditbank.web.views.queue.utc_now", lambda: later)
    done = post_form(
        registrar, f"/registrar/queue/applications/{application_id}/commit", {}, "/registrar/queue"
    )
    assert done.status_code == 302, _text(done)
    mine = _text(chen.get("/portal/applications"))
    assert "已认定" in mine and "认定并写入账本" in mine
    assert "陈*" not in _text(public.get("/guide/notices"))


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


# --- the guide and the exception form -------------------------------------------------------


def test_the_guide_in_words_and_a_learner_what_if(app: Flask, demo: Services) -> None:
    anyone = app.test_client()
    index = _text(anyone.get("/guide"))
    assert "/guide/policies/cq-3plus2-industrial-robotics" in index
    page = _text(anyone.get("/guide/policies/cq-3plus2-industrial-robotics"))
    assert "可认定的课程" in page
    assert "修读课程 电工基础，认定 4 学分（规则 R02）" in page
    assert "登录学习账户后可以用自己的记录试算" in page
    anyone.get("/lang/en?next=/guide")
    assert "What is recognised" in _text(
        anyone.get("/guide/policies/cq-3plus2-industrial-robotics")
    )
    size = demo.ledger.head().size
    wang = learner(app.test_client(), 1)
    tried = post_form(
        wang,
        "/guide/policies/cq-3plus2-industrial-robotics/what-if",
        {},
        page="/guide/policies/cq-3plus2-industrial-robotics",
    )
    assert tried.status_code == 200
    assert 'id="what-if-recognised"' in _text(tried)
    assert demo.ledger.head().size == size  # nothing recorded, no consent given


def test_the_exception_form_offers_only_the_chosen_policy_courses(
    app: Flask, demo: Services
) -> None:
    registrar = staff(app.test_client(), "cq-gz-registrar")
    page = _text(registrar.get("/registrar"))
    learner_id = re.findall(r"/registrar/learners/([0-9a-f-]+)", page)[0]
    policies = [p for p in demo.policies.values() if p.programme.institution == "CQ-GZ-001"]
    assert len(policies) >= 2
    for policy in policies:
        form = _text(registrar.get(f"/registrar/learners/{learner_id}?policy={policy.id}"))
        select = form[
            form.index('id="exc_target_0"') : form.index(
                "</select>", form.index('id="exc_target_0"')
            )
        ]
        offered = set(re.findall(r'<option value="([^"]+)"', select))
        assert offered == {c.code for c in policy.programme.courses}


def test_an_admin_sets_the_notice_period_and_a_registrar_cannot(app: Flask, demo: Services) -> None:
    registrar = staff(app.test_client(), "cq-gz-registrar")
    page = _text(registrar.get("/registrar/queue"))
    assert 'id="notice-days">0<' in page and 'id="set-notice-days"' not in page
    refused = post_form(
        registrar, "/registrar/queue/notice-period", {"days": "7"}, "/registrar/queue"
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    admin = staff(app.test_client(), "cq-gz-admin")
    too_long = post_form(
        admin, "/registrar/queue/notice-period", {"days": "61"}, "/registrar/queue"
    )
    assert too_long.status_code == 400  # type: ignore[attr-defined]
    done = post_form(admin, "/registrar/queue/notice-period", {"days": "7"}, "/registrar/queue")
    assert done.status_code == 302  # type: ignore[attr-defined]
    assert 'id="notice-days">7<' in _text(registrar.get("/registrar/queue"))
