"""Asking for a correction: the learner flags a record, its poster corrects, revokes or declines."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.errors import Conflict
from creditbank.ledger.envelope import EntryKind, decode_envelope
from creditbank.ledger.store import read_openings
from creditbank.notices.service import Recipient, list_notices, outbox_t
from creditbank.rights.corrections import (
    Answer,
    CorrectionStatus,
    CorrectionView,
    answer_correction,
    learner_requests,
    request_correction,
    request_t,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World, course
from tests.rights.helpers import A, key_id, post_course

REASON = "my grade was 96, not 86"


def _ask(world: World, record: str, who: str = "li", reason: str = REASON) -> Any:
    return world.post(
        "/api/v1/learners/me/correction-requests", who, {"record": record, "reason": reason}
    )


def _answer(world: World, request: str, who: str = "posterA", **body: Any) -> Any:
    return world.post(f"/api/v1/correction-requests/{request}/answer", who, body)


def _open(world: World, who: str) -> list[dict[str, Any]]:
    answer = world.get("/api/v1/correction-requests", who)
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["requests"])


def _entry(services: Services, index: int) -> tuple[str, str, dict[str, Any]]:
    [(_, data)] = list(services.ledger.entries(index, index + 1))
    envelope = decode_envelope(data)
    with read_connection(services.engine) as connection:
        _, payload = read_openings(connection, [index])[index]
    return envelope.kind, envelope.actor, json.loads(payload)


def _notices(services: Services, recipient: Recipient, to: str) -> list[Any]:
    with read_connection(services.engine) as connection:
        return list_notices(connection, recipient, to)


def test_a_request_answered_by_a_correction(base_world: World, engine_name: str) -> None:
    world, services = base_world, base_world.services
    li = world.learners["li"]
    record = post_course(world, "li", "fix-1")
    size = world.size()

    asked = _ask(world, record)
    assert asked.status_code == 201, asked.get_json()
    request = asked.get_json()
    assert (request["status"], request["record_version"], request["reason"]) == ("open", 1, REASON)
    assert world.size() == size + 1
    kind, actor, payload = _entry(services, request["requested_index"])
    assert (kind, actor) == (EntryKind.CORRECTION_REQUESTED.value, "learner")
    # The learner's words stay in the request table; the entry holds their hash.
    assert REASON not in json.dumps(payload, ensure_ascii=False)
    assert payload["reason_sha256"] == hashlib.sha256(REASON.encode()).hexdigest()
    assert (payload["learner"], payload["record"], payload["institution"]) == (li, record, A)
    # The poster sees it (and is told); another institution does not.
    assert [r["id"] for r in _open(world, "posterA")] == [request["id"]]
    assert _open(world, "posterB") == []
    told = [
        n.params["request"]
        for n in _notices(services, Recipient.INSTITUTION, A)
        if n.kind.value == "correction_requested"
    ]
    assert told == [request["id"]]

    corrected = course(grade={"scale": "percent", "value": "96"})
    answered = _answer(
        world, request["id"], decision="corrected", reason="checked the register", outcome=corrected
    )
    assert answered.status_code == 200, answered.get_json()
    body = answered.get_json()
    assert body["status"] == "corrected" and body["answer_reason"] == "checked the register"
    assert world.size() == size + 3  # the request; the record's correction; the answer
    shown = world.get(f"/api/v1/records/{record}", "li").get_json()
    assert shown["version"] == 2 and shown["outcome"]["grade"]["value"] == "96"
    kind, actor, payload = _entry(services, body["answered_index"])
    assert (kind, actor) == (EntryKind.CORRECTION_ANSWERED.value, f"institution:{A}")
    assert payload["decision"] == "corrected" and payload["record_index"] == body["record_index"]
    assert _entry(services, body["record_index"])[0] == EntryKind.RECORD_CORRECTED.value

    # The learner is told, in the portal and by e-mail; the request is no longer open.
    [notice] = _notices(services, Recipient.LEARNER, li)
    assert notice.kind.value == "correction_answered" and notice.params["record"] == record
    assert "the record was corrected" in notice.body("en")
    with read_connection(services.engine) as connection:
        mails = connection.execute(select(outbox_t.c.notice)).scalars().all()
    assert notice.id in mails
    assert _open(world, "posterA") == []
    mine = world.get("/api/v1/learners/me/correction-requests", "li").get_json()["requests"]
    assert [(r["id"], r["status"]) for r in mine] == [(request["id"], "corrected")]
    # Answered once only.
    again = _answer(world, request["id"], decision="declined", reason="twice")
    assert again.status_code == 409


def test_revoking_and_declining(base_world: World, engine_name: str) -> None:
    world = base_world
    first = post_course(world, "li", "fix-2", course_code="JX201")
    second = post_course(world, "li", "fix-3", course_code="JX202")
    revoke = _ask(world, first).get_json()["id"]
    decline = _ask(world, second, reason="not my course").get_json()["id"]
    all_open = _open(world, "posterA")
    assert [r["id"] for r in all_open] == [revoke, decline]  # oldest first

    revoked = _answer(world, revoke, decision="revoked", reason="posted to the wrong learner")
    assert revoked.status_code == 200, revoked.get_json()
    assert world.get(f"/api/v1/records/{first}", "li").get_json()["status"] == "revoked"

    size = world.size()
    declined = _answer(world, decline, decision="declined", reason="the register shows it")
    assert declined.status_code == 200, declined.get_json()
    assert declined.get_json()["record_index"] is None
    assert world.size() == size + 1  # only the answer: the record stands as it was
    assert world.get(f"/api/v1/records/{second}", "li").get_json()["version"] == 1
    listed = world.get("/api/v1/correction-requests?status=all", "posterA").get_json()
    assert {r["status"] for r in listed["requests"]} == {"revoked", "declined"}
    # A revoked record has nothing left to correct.
    assert _ask(world, first).status_code == 409


def test_who_may_ask_and_who_may_answer(base_world: World, engine_name: str) -> None:
    world = base_world
    record = post_course(world, "li", "fix-4")
    assert _ask(world, record, who="wang").status_code == 404  # not wang's record
    assert _ask(world, "no-such-record").status_code == 404
    assert _ask(world, record, who="posterA").status_code == 403  # only learners ask
    request = _ask(world, record).get_json()["id"]
    assert _ask(world, record).status_code == 409  # one open request per record
    # Only the posting institution answers, and only with an outcome when correcting.
    assert _answer(world, request, "posterB", decision="declined", reason="x").status_code == 404
    assert _answer(world, request, "li", decision="declined", reason="x").status_code == 403
    missing = _answer(world, request, decision="corrected", reason="x")
    assert missing.status_code == 400
    assert missing.get_json()["errors"][0]["field"] == "outcome"
    wrong = _answer(world, request, decision="maybe", reason="x")
    assert wrong.status_code == 400
    assert _open(world, "posterA")[0]["status"] == "open"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501, "line\nbreak"])
def test_a_reason_is_one_line_of_text(base_world: World, reason: str) -> None:
    record = post_course(base_world, "li", "fix-5")
    assert _ask(base_world, record, reason=reason).status_code == 400


def test_the_answering_key_is_kept(base_world: World) -> None:
    world = base_world
    record = post_course(world, "li", "fix-6")
    request = _ask(world, record).get_json()["id"]
    assert _answer(world, request, "adminA", decision="declined", reason="no").status_code == 200
    with read_connection(world.services.engine) as connection:
        by = connection.execute(
            select(request_t.c.answered_by).where(request_t.c.id == request)
        ).scalar_one()
    assert by == key_id(world, "adminA")


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` at once, each in its thread; their answers or what they raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(position: int) -> None:
        barrier.wait()
        try:
            results[position] = calls[position]()
        except Exception as exc:  # the loser's refusal is part of the answer
            results[position] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_requests_and_answers_at_once_count_once(base_world: World, engine_name: str) -> None:
    world, services = base_world, base_world.services
    li = world.learners["li"]
    record = post_course(world, "li", "fix-7")
    size = world.size()

    asked = _race(
        [
            lambda n=n: request_correction(
                services.ledger, li, record, f"reason {n}", now=utc_now()
            )
            for n in range(8)
        ]
    )
    made = [r for r in asked if isinstance(r, CorrectionView)]
    assert len(made) == 1 and all(isinstance(r, Conflict) for r in asked if r not in made)
    assert world.size() == size + 1

    def decline(words: str) -> Any:
        return answer_correction(
            services.ledger,
            made[0].id,
            Answer(CorrectionStatus.DECLINED, words),
            institution=A,
            actor=f"institution:{A}",
            by="k",
            now=utc_now(),
            revoke_dependents=lambda *args, **kwargs: None,
        )

    answered = _race([lambda n=n: decline(f"answer {n}") for n in range(3)])
    assert sum(isinstance(r, CorrectionView) for r in answered) == 1
    assert all(isinstance(r, Conflict) for r in answered if not isinstance(r, CorrectionView))
    assert world.size() == size + 2
    with read_connection(services.engine) as connection:
        assert len(learner_requests(connection, li)) == 1
