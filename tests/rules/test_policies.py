"""Every policy file in ``policies/`` loads, and every one of its sample cases comes out as stated.

A folder may hold several versions of one policy (``<id>.toml``, ``<id>.<version>.toml``);
each file has its own cases (``<stem>.cases.toml``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from creditbank.rules.assign import first_match
from creditbank.rules.candidates import screen
from creditbank.rules.cases import PolicyCase, case_mismatches, load_cases, run_case
from creditbank.rules.evaluate import _limits
from creditbank.rules.loader import load_folder, load_policies
from creditbank.rules.policy import Policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _all_cases() -> list[object]:
    folder = load_folder(POLICIES)
    assert not folder.quarantined, folder.quarantined
    params = []
    for item in folder.loaded:
        cases_file = item.path.with_name(item.path.name.removesuffix(".toml") + ".cases.toml")
        assert cases_file.exists(), f"{item.path.name} has no sample cases"
        for case in load_cases(cases_file):
            params.append(pytest.param(item.policy, case, id=f"{item.path.name}: {case.name}"))
    return params


def test_there_are_policies() -> None:
    assert len(load_policies(POLICIES)) >= 1


def test_a_policy_has_two_catalog_years() -> None:
    versions = [
        item.policy.version
        for item in load_folder(POLICIES).loaded
        if item.policy.id == "cq-five-year-computer-applications"
    ]
    assert sorted(versions) == ["2026.1", "2027.1"]


@pytest.mark.parametrize(("policy", "case"), _all_cases())
def test_case(policy: Policy, case: PolicyCase) -> None:
    assert case_mismatches(policy, case) == []
    result = run_case(policy, case).body
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
