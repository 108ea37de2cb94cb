"""Registrars' restrictions through the service, and appeals (复核): their date, their inputs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from creditbank.clock import utc_now
from creditbank.errors import InvalidInput
from creditbank.evaluations.service import (
    commit_appeal,
    find_policy,
    parse_exceptions,
    read_evaluation,
    rerun,
    run_evaluation,
)
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import correct_record
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.transcripts.helpers import (
    POSTER,
    TRANSFER_POLICY,
    ZHONGZHI_COURSES,
    dependents,
    populate,
    recognise_transfers,
)


def _used(body: dict[str, object], record: str) -> bool:
    outcomes = body["outcomes"]
    assert isinstance(outcomes, list)
    return next(o for o in outcomes if o["record"] == record)["used"]  # type: ignore[no-any-return]


def test_restrictions_are_recorded_rerun_and_carried_into_an_appeal(
    services: Services, engine_name: str
) -> None:
    bank = populate(services)
    first = recognise_transfers(bank)
    policy = find_policy(services.policies, TRANSFER_POLICY)
    used = [o["record"] for o in first.evaluation.body["outcomes"] if o["used"]]
    moment = utc_now()
    run = run_evaluation(
        services.ledger,
        learner_id=bank.li,
        institution=POSTER,
        actor=f"institution:{POSTER}",
        by="registrar-zhang",
        policy=policy,
        on=moment.date() - timedelta(days=3),
        exceptions=[{"type": "exclude", "record": used[0], "why": "成绩真实性复核中"}],
        commit_it=True,
        now=moment,
        revoke_dependents=dependents(services).of_transfer,
    )
    assert run.committed is not None
    body = run.evaluation.body
    assert not _used(body, used[0])
    assert body["exceptions"] == [
        {
            "type": "exclude",
            "record": used[0],
            "by": "registrar-zhang",
            "why": "成绩真实性复核中",
            "at": moment.isoformat(),
        }
    ]
    with read_connection(services.engine) as connection:
        row = read_evaluation(connection, run.committed.id)
        assert rerun(connection, row, services.catalogue).result_hash == run.evaluation.result_hash
    # Appealed a week later: evaluated as of the appealed evaluation's date, exclusion standing.
    later = moment + timedelta(days=7)
    appeal = commit_appeal(
        services.ledger,
        row,
        actor="learner",
        by="learner",
        policy=policy,
        records=[],
        now=later,
        revoke_dependents=dependents(services).of_transfer,
    )
    assert appeal.evaluation.body["on"] == row.evaluated_on.isoformat()
    assert not _used(appeal.evaluation.body, used[0])
    stated = commit_appeal(
        services.ledger,
        row,
        actor="registrar",
        by="registrar-zhang",
        policy=policy,
        records=[],
        now=later,
        on=later.date(),
        revoke_dependents=dependents(services).of_transfer,
    )
    assert stated.evaluation.body["on"] == later.date().isoformat()


def test_an_appeal_rereads_only_the_records_it_names(services: Services, engine_name: str) -> None:
    bank = populate(services)
    first = recognise_transfers(bank)
    policy = find_policy(services.policies, TRANSFER_POLICY)
    with read_connection(services.engine) as connection:
        row = read_evaluation(connection, first.id)
    inputs = {record: index for record, index in json.loads(row.inputs)}
    courses = [o["record"] for o in first.evaluation.body["outcomes"] if o["kind"] == "course"]
    named, other = sorted(courses)[:2]
    moment = utc_now()
    for record in (named, other):
        corrected = dict(ZHONGZHI_COURSES[0], grade={"scale": "percent", "value": "50"})
        correct_record(
            services.ledger,
            record,
            parse_outcome(corrected, today=moment.date()),
            institution=POSTER,
            reason="成绩录入错误",
            now=moment,
            revoke_dependents=dependents(services).of_transfer,
        )
    appeal = commit_appeal(
        services.ledger,
        row,
        actor="learner",
        by="learner",
        policy=policy,
        records=[named],
        now=moment,
        revoke_dependents=dependents(services).of_transfer,
    )
    with read_connection(services.engine) as connection:
        appealed = read_evaluation(connection, appeal.id)
    read = {record: index for record, index in json.loads(appealed.inputs)}
    assert read[other] == inputs[other]  # as the appealed evaluation read it
    assert read[named] != inputs[named]  # as it stands now
    with pytest.raises(InvalidInput):
        commit_appeal(
            services.ledger,
            row,
            actor="learner",
            by="learner",
            policy=policy,
            records=["no-such-record"],
            now=moment,
            revoke_dependents=dependents(services).of_transfer,
        )


def test_bad_restrictions_are_refused_naming_each_problem(services: Services) -> None:
    policy = find_policy(services.policies, TRANSFER_POLICY)
    with pytest.raises(InvalidInput) as caught:
        parse_exceptions(
            [
                {"type": "cap", "cap": "per_kind.nothing", "credits": "3", "why": "x"},
                {"type": "credits", "target": "NOPE", "credits": "3", "why": "x"},
                {"type": "exclude", "record": "nope", "why": "x"},
                {"type": "cap", "cap": "total_credits", "credits": "-1", "why": "x"},
                {"type": "force", "target": "GZ-JC102", "record": "nope", "why": ""},
            ],
            policy,
            [],
            "reg",
        )
    fields = {(p.field, p.index) for p in caught.value.problems}
    assert fields == {
        ("cap", 0),
        ("target", 1),
        ("record", 2),
        ("credits", 3),
        ("why", 4),
        ("record", 4),
    }
