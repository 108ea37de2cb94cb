"""Recognised transfers: derived from every sample case, and superseded under contention."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from creditbank.clock import utc_now
from creditbank.evaluations.service import commit_current, find_policy
from creditbank.evaluations.transfers import learner_transfers, recognised_courses
from creditbank.ledger.envelope import decode_envelope
from creditbank.ledger.store import entry_t
from creditbank.rules.cases import PolicyCase, load_cases, run_case
from creditbank.rules.evaluate import Exception_, Waive, evaluate
from creditbank.rules.loader import load_folder, load_policies
from creditbank.rules.policy import Policy
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.transcripts.helpers import (
    POSTER,
    TRANSFER_POLICY,
    dependents,
    issue,
    populate,
    recognise_transfers,
    verify,
)

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BASES = {"recognised", "forced", "forced_parts", "waived", "catch_all"}


def _cases() -> list[object]:
    params = []
    for item in load_folder(POLICIES).loaded:  # every version, each with its own cases
        stem = item.path.name.removesuffix(".toml")
        for case in load_cases(item.path.with_name(f"{stem}.cases.toml")):
            params.append(pytest.param(item.policy, case, id=f"{stem}: {case.name}"))
    return params


@pytest.mark.parametrize(("policy", "case"), _cases())
def test_transfers_account_for_every_recognised_credit(policy: Policy, case: PolicyCase) -> None:
    evaluation = run_case(policy, case)
    courses = recognised_courses(evaluation)
    assert sum(Decimal(c.recognised_credits) for c in courses) == case.recognised_credits
    assert len({c.code for c in courses}) == len(courses)  # no course counted twice
    assert [c.code for c in courses] == [
        c.code for c in policy.programme.courses if c.code in {t.code for t in courses}
    ]  # programme order
    for course in courses:
        assert course.basis in BASES
        assert course.sources >= 1 and course.rules
        assert Decimal(course.recognised_credits) > 0
        assert Decimal(course.recognised_credits) <= Decimal(course.credits)


def test_a_waived_course_is_a_transfer_from_no_outcome() -> None:
    policy = load_policies(POLICIES)[TRANSFER_POLICY]
    waived: list[Exception_] = [Waive("GZ-JC102", "registrar", "英语等级证书")]
    courses = recognised_courses(evaluate(policy, [], policy.effective_from, waived))
    assert [(c.code, c.basis, c.sources) for c in courses] == [("GZ-JC102", "waived", 0)]


def test_concurrent_commits_leave_one_evaluation_standing(
    services: Services, engine_name: str
) -> None:
    bank = populate(services)
    first = recognise_transfers(bank)
    shown = issue(bank, records=list(first.transfers))
    policy = find_policy(services.policies, TRANSFER_POLICY)
    errors: list[BaseException] = []
    committed: list[str] = []
    start = threading.Barrier(6)

    def run() -> None:
        try:
            start.wait()
            now = utc_now()
            done = commit_current(
                services.ledger,
                learner_id=bank.li,
                institution=POSTER,
                actor=f"institution:{POSTER}",
                by="registrar",
                policy=policy,
                on=now.date(),
                now=now,
                revoke_dependents=dependents(services).of_transfer,
            )
            committed.append(done.id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with read_connection(services.engine) as connection:
        transfers = learner_transfers(connection, bank.li)
        kinds = [
            decode_envelope(d).kind for d in connection.execute(select(entry_t.c.data)).scalars()
        ]
    standing = {t.evaluation for t in transfers if t.standing}
    assert len(standing) == 1 and standing <= set(committed)
    # Every other evaluation's transfers were superseded by a later one, each by its own entry.
    order = {t.evaluation: t.ledger_index for t in transfers}
    for transfer in transfers:
        if not transfer.standing:
            assert order[str(transfer.superseded_by)] > transfer.ledger_index
    assert kinds.count("transfer.superseded") == sum(1 for t in transfers if not t.standing)
    assert kinds.count("transfer.recognised") == len(transfers) == 7 * 4
    report = verify(services, shown.credential)
    assert report.failed == ("status",)
    with read_connection(services.engine) as connection:
        payloads = [t.payload for t in learner_transfers(connection, bank.li, standing_only=True)]
    assert {json.dumps(p["policy"]) for p in payloads} == {json.dumps(payloads[0]["policy"])}
