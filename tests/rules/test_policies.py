"""Every policy in ``policies/`` loads, and every one of its sample cases comes out as stated."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from creditbank.rules.assign import first_match
from creditbank.rules.candidates import screen
from creditbank.rules.cases import PolicyCase, load_cases
from creditbank.rules.evaluate import _limits, evaluate
from creditbank.rules.loader import load_policies
from creditbank.rules.policy import Policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _all_cases() -> list[object]:
    policies = load_policies(POLICIES)
    params = []
    for policy in policies.values():
        cases_file = POLICIES / f"{policy.id}.cases.toml"
        assert cases_file.exists(), f"{policy.id} has no sample cases"
        for case in load_cases(cases_file):
            params.append(pytest.param(policy, case, id=f"{policy.id}: {case.name}"))
    return params


def test_there_are_policies() -> None:
    assert len(load_policies(POLICIES)) >= 1


@pytest.mark.parametrize(("policy", "case"), _all_cases())
def test_case(policy: Policy, case: PolicyCase) -> None:
    result = evaluate(policy, case.sources, case.on, case.exceptions).body
    filled = {
        course["code"]: course["filled_by"][0]["rule"]
        for course in result["courses"]
        if course["filled_by"]
    }
    assert filled == case.filled
    assert Decimal(result["recognised_credits"]) == case.recognised_credits
    codes = {o["record"]: {r["code"] for r in o["reasons"]} for o in result["outcomes"]}
    for record, code in case.unused.items():
        assert code in codes[record], (record, codes[record])
    by_code = {course["code"]: course for course in result["courses"]}
    for code, credits in case.credits.items():
        assert Decimal(by_code[code]["recognised_credits"]) == credits, code
    for code, grade in case.recorded.items():
        assert by_code[code]["recorded_as"]["grade"] == grade, code
    # The total is what the courses say, and every outcome reported used counts in it.
    assert sum(Decimal(c["recognised_credits"]) for c in result["courses"]) == Decimal(
        result["recognised_credits"]
    )
    counted = {r for c in result["courses"] for f in c["filled_by"] for r in f["records"]}
    assert {o["record"] for o in result["outcomes"] if o["used"]} <= counted
    if case.first_match_credits is not None:
        greedy = first_match(screen(policy, case.sources, case.on).candidates, _limits(policy))
        assert greedy.credits == case.first_match_credits
        assert greedy.credits < case.recognised_credits or greedy.credits == case.recognised_credits
