"""Posting under concurrency: retries and rivals racing through the group commit still post
every record exactly once, and every answer carries the record's own log index."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from creditbank.clock import utc_now
from creditbank.errors import Conflict
from creditbank.identity.documents import parse_document
from creditbank.identity.principals import CONSOLE_ACTOR
from creditbank.institutions.service import InstitutionInfo, register_institution
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.ledger.store import read_openings
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import (
    BatchAnswer,
    BatchRequest,
    NewRecord,
    post_batch,
    record_t,
    version_t,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.records.outcome_items import COURSE
from tests.transcripts.helpers import resident_id

NOW = utc_now()
CODE = "CQ-GZ-001"


def _learner(services: Services) -> str:
    register_institution(
        services.ledger,
        InstitutionInfo(CODE, "重庆工程职业技术学院", "CQVIE", "gaozhi_college", "gaozhi", "重庆"),
        actor=CONSOLE_ACTOR,
        now=NOW,
    )
    person = NewLearner("李明", parse_document("resident_id", resident_id("123"), today=NOW.date()))
    [account] = open_accounts(
        services.ledger, services.sealer, [person], opened_by=CODE, actor="test", now=NOW
    )
    return account.learner_id


def _request(learner: str, key: str, external_ids: list[str]) -> BatchRequest:
    outcome = parse_outcome({**COURSE, "source_institution": CODE}, today=NOW.date())
    records = [NewRecord(learner, outcome, external_id) for external_id in external_ids]
    body = json.dumps({"key": key, "ids": external_ids}).encode()
    return BatchRequest(CODE, "test", key, body, records)


def _race(calls: list[Callable[[], BatchAnswer]]) -> list[BatchAnswer | BaseException]:
    outcomes: list[BatchAnswer | BaseException] = [RuntimeError("not run")] * len(calls)
    start = threading.Barrier(len(calls))

    def run(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = calls[n]()
        except BaseException as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def _count(services: Services, table: Any) -> int:
    with read_connection(services.engine) as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_retries_racing_each_other_post_once(services: Services, engine_name: str) -> None:
    learner = _learner(services)
    request = _request(learner, "same-key", [f"x-{n}" for n in range(20)])
    outcomes = _race([lambda: post_batch(services.ledger, request, now=NOW)] * 12)

    answers = [o for o in outcomes if isinstance(o, BatchAnswer)]
    assert len(answers) == 12, outcomes
    assert sum(not a.replayed for a in answers) == 1
    assert all(a.body == answers[0].body for a in answers)
    assert _count(services, record_t) == 20 and _count(services, version_t) == 20


def test_rivals_for_one_external_id_post_it_once(services: Services, engine_name: str) -> None:
    learner = _learner(services)
    calls = [
        (lambda n=n: post_batch(services.ledger, _request(learner, f"k{n}", ["shared"]), now=NOW))
        for n in range(8)
    ]
    outcomes = _race(calls)
    answers = [o for o in outcomes if isinstance(o, BatchAnswer)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(answers) == 1 and len(conflicts) == 7, outcomes
    assert all("already posted" in json.dumps(c.extra) for c in conflicts)
    assert _count(services, record_t) == 1


def test_concurrent_batches_answer_their_own_indices(services: Services, engine_name: str) -> None:
    learner = _learner(services)
    requests = [
        _request(learner, f"b{n}", [f"b{n}-{i}" for i in range(1 + n % 5)]) for n in range(10)
    ]
    outcomes = _race([(lambda r=r: post_batch(services.ledger, r, now=NOW)) for r in requests])
    assert all(isinstance(o, BatchAnswer) for o in outcomes), outcomes
    indices: list[int] = []
    with read_connection(services.engine) as connection:
        for request, outcome in zip(requests, outcomes, strict=True):
            assert isinstance(outcome, BatchAnswer)
            items = outcome.body["records"]
            assert len(items) == len(request.records)
            openings = read_openings(connection, [item["index"] for item in items])
            for position, item in enumerate(items):
                payload = json.loads(openings[item["index"]][1])
                assert payload["record"] == item["id"] and payload["position"] == position
                assert payload["external_id"] == request.records[position].external_id
                stored = connection.execute(
                    select(version_t.c.ledger_index).where(version_t.c.record == item["id"])
                ).scalar_one()
                assert stored == item["index"]
            assert outcome.body["size"] == items[-1]["index"] + 1
            indices += [item["index"] for item in items]
    assert len(set(indices)) == len(indices) == sum(len(r.records) for r in requests)


@pytest.mark.parametrize("replays", [1, 3])
def test_a_replay_repeats_the_stored_answer(
    services: Services, engine_name: str, replays: int
) -> None:
    learner = _learner(services)
    request = _request(learner, "k", ["a", "b"])
    first = post_batch(services.ledger, request, now=NOW)
    for _ in range(replays):
        again = post_batch(services.ledger, request, now=NOW)
        assert again.replayed and again.body == first.body
