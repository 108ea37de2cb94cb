"""Recognition pages through the test client: the learner's evaluations and 复核, the queue."""

from __future__ import annotations

import json
import re

from flask import Flask
from sqlalchemy import select

from creditbank.demo import DEMO_KEYS, LEARNERS
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
    return row.learner, {"id": row.id, "result": json.loads(row.result)}


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
