"""The engine's guarantees, on generated learners: caps hold, no outcome is used twice, the
result does not depend on record order, and the search finds the true optimum."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.records.parsing import parse_outcome
from creditbank.records.vocabulary import OutcomeKind
from creditbank.rules.assign import (
    Limits,
    _branch_and_bound,
    _by_milp,
    _lexicographic_search,
    add,
    best_assignment,
    conflict,
    first_match,
    tally,
    violation,
)
from creditbank.rules.candidates import Candidate, SourceOutcome, screen
from creditbank.rules.evaluate import _limits, evaluate
from creditbank.rules.loader import load_policy
from creditbank.rules.policy import Caps, Policy

POLICY = load_policy(
    Path(__file__).resolve().parents[2] / "policies" / "cq-3plus2-industrial-robotics.toml"
)
ON = date(2026, 9, 1)
TITLES = [
    "机械制图",
    "计算机辅助设计",
    "电工基础",
    "数学1",
    "数学（二）",
    "体育与健康",
    "机械 制图",
    "语文",
]


def _course(title: str, grade: int, credits: str, year: int) -> dict[str, Any]:
    return {
        "kind": "course",
        "course_code": f"ZZ-{abs(hash(title)) % 1000:03d}",
        "title_zh": title,
        "source_institution": "CQ-ZZ-001",
        "level": "zhongzhi",
        "programme": "机电技术应用",
        "term": f"{year}-{year + 1}-1",
        "hours": 64,
        "credits": credits,
        "grade": {"scale": "percent", "value": str(grade)},
        "completed_on": f"{year + 1}-01-10",
    }


def _certificate(level: str, n: int) -> dict[str, Any]:
    return {
        "kind": "certificate",
        "certificate_type": "one_plus_x",
        "title": "工业机器人操作与运维",
        "level": level,
        "certificate_number": f"X-{n}",
        "awarding_organisation": "评价组织",
        "issued_on": "2024-06-30",
    }


def _training(hours: int) -> dict[str, Any]:
    return {
        "kind": "training",
        "provider": "重庆长安汽车培训中心",
        "title": "工业机器人应用实训",
        "hours": hours,
        "result": {"scale": "two_level", "value": "合格"},
        "started_on": "2024-07-01",
        "completed_on": "2024-08-01",
    }


def _award(rank: str) -> dict[str, Any]:
    return {
        "kind": "award",
        "competition": "重庆市职业院校技能大赛",
        "level": "provincial",
        "rank": rank,
        "awarded_on": "2024-05-20",
        "track": None,
    }


@st.composite
def learners(draw: st.DrawFn) -> list[SourceOutcome]:
    items: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 9))):
        items.append(
            _course(
                draw(st.sampled_from(TITLES)),
                draw(st.integers(50, 100)),
                draw(st.sampled_from(["1", "2", "3.5", "4", "6"])),
                draw(st.integers(2019, 2024)),
            )
        )
    for n in range(draw(st.integers(0, 3))):
        items.append(_certificate(draw(st.sampled_from(["chuji", "zhongji", "gaoji"])), n))
    for _ in range(draw(st.integers(0, 2))):
        items.append(_training(draw(st.integers(8, 120))))
    for _ in range(draw(st.integers(0, 2))):
        items.append(
            _award(draw(st.sampled_from(["first_prize", "third_prize", "honourable_mention"])))
        )
    return [
        SourceOutcome(f"r{n:02d}", "CQ-ZZ-001", "重庆", parse_outcome(item, today=ON))
        for n, item in enumerate(items)
    ]


def _tight(policy: Policy, total: str) -> Policy:
    caps = Caps(
        total_credits=Decimal(total),
        per_kind=((OutcomeKind.CERTIFICATE, Decimal(4)),),
        certificates=1,
        per_academic_year=Decimal(9),
    )
    return replace(policy, caps=caps)


@settings(max_examples=150, deadline=None)
@given(learners(), st.sampled_from(["35", "8", "12"]))
def test_caps_hold_and_no_outcome_is_used_twice(sources: list[SourceOutcome], total: str) -> None:
    policy = _tight(POLICY, total)
    limits = _limits(policy)
    chosen = best_assignment(screen(policy, sources, ON).candidates, limits).chosen
    used = [record for candidate in chosen for record in candidate.outcomes]
    assert len(used) == len(set(used))
    filled = [target for candidate in chosen for target in candidate.targets]
    assert len(filled) == len(set(filled))
    state = tally(chosen)
    assert state.total <= Decimal(total)
    assert state.per_kind.get(OutcomeKind.CERTIFICATE, Decimal(0)) <= 4
    assert state.certificates <= 1
    assert all(credits <= 9 for credits in state.per_year.values())
    result = evaluate(policy, sources, ON).body
    assert Decimal(result["recognised_credits"]) == state.total


@settings(max_examples=100, deadline=None)
@given(learners(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_record_order(
    sources: list[SourceOutcome], rng: random.Random
) -> None:
    shuffled = list(sources)
    rng.shuffle(shuffled)
    assert evaluate(POLICY, sources, ON).result_hash == evaluate(POLICY, shuffled, ON).result_hash


def _brute_force(candidates: list[Any], limits: Limits) -> tuple[Decimal, Decimal]:
    """The best (rule credits, then catch-all credits) over every subset: the engine's order."""
    best = (Decimal(0), Decimal(0))
    for size in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            state = tally(())
            ok = True
            for candidate in subset:
                if conflict(state, candidate) or violation(state, candidate, limits) is not None:
                    ok = False
                    break
                add(state, candidate)
            if ok:
                rules = sum((c.credits for c in subset if not c.catch_all), Decimal(0))
                best = max(best, (rules, state.total - rules))
    return best


@settings(max_examples=80, deadline=None)
@given(learners(), st.sampled_from(["35", "8", "12"]))
def test_the_search_finds_the_optimum(sources: list[SourceOutcome], total: str) -> None:
    policy = _tight(POLICY, total)
    limits = _limits(policy)
    candidates = screen(policy, sources, ON).candidates[:11]  # brute force stays small
    best = best_assignment(candidates, limits)
    rules = sum((c.credits for c in best.chosen if not c.catch_all), Decimal(0))
    assert (rules, best.credits - rules) == _brute_force(candidates, limits)
    greedy = first_match(candidates, limits)
    # First match can only recognise fewer rule credits (its catch-all may then take more).
    assert rules >= sum((c.credits for c in greedy.chosen if not c.catch_all), Decimal(0))


def test_first_match_loses_credits_that_the_search_keeps() -> None:
    sources = [
        SourceOutcome(
            "cert", "BJ-PJ-001", "北京", parse_outcome(_certificate("zhongji", 1), today=ON)
        ),
        SourceOutcome("train", "CQ-QY-001", "重庆", parse_outcome(_training(64), today=ON)),
    ]
    limits = _limits(POLICY)
    candidates = screen(POLICY, sources, ON).candidates
    # First match gives the certificate to the practicum (rule X02, listed first): 3 credits,
    # and the training then finds the practicum filled. The search uses the certificate for
    # the programming course (X01, 4) and the training for the practicum (T01, 3): 7.
    assert first_match(candidates, limits).credits == 3
    assert best_assignment(candidates, limits).credits == 7
    body = evaluate(POLICY, sources, ON).body
    assert {c["code"]: c["filled_by"][0]["rule"] for c in body["courses"] if c["filled_by"]} == {
        "GZ-JD201": "X01",
        "GZ-SJ301": "T01",
    }


@settings(max_examples=60, deadline=None)
@given(learners(), st.sampled_from(["35", "8", "12"]))
def test_the_milp_fallback_gives_the_same_assignment(
    sources: list[SourceOutcome], total: str
) -> None:
    policy = _tight(POLICY, total)
    limits = _limits(policy)
    candidates = screen(policy, sources, ON).candidates
    rules = sorted((c for c in candidates if not c.catch_all), key=lambda c: c.order)
    searched, credits, _ = _branch_and_bound(rules, limits, ())
    solved = _by_milp(rules, limits, ())
    assert [c.order for c in solved] == [c.order for c in searched]
    assert tally(solved).total == credits


def _candidate(rule: str, position: int, outcome: str, target: str | None, credits: int) -> Any:
    return Candidate(
        rule,
        position,
        (outcome,),
        () if target is None else (target,),
        Decimal(credits),
        OutcomeKind.COURSE,
        "CQ-ZZ-001",
        2023,
        catch_all=target is None,
    )


def test_a_tie_among_rules_goes_to_the_one_leaving_the_elective_most() -> None:
    # Either course fills GZ-JD101 for 4 credits; only r01 is eligible for the elective.
    # Rule order prefers r01 for the course, which would leave the elective empty.
    first = _candidate("R01", 0, "r01", "GZ-JD101", 4)
    second = _candidate("R02", 1, "r02", "GZ-JD101", 4)
    elective = _candidate("catch-all", 9, "r01", None, 3)
    limits = Limits(Caps(), catch_all_credits=Decimal(6))
    best = best_assignment([first, second, elective], limits)
    assert best.chosen == (second, elective)
    assert best.credits == 7
    # Without the elective candidate the rule order decides, as before.
    assert best_assignment([first, second], limits).chosen == (first,)


@settings(max_examples=60, deadline=None)
@given(learners(), st.sampled_from(["35", "8", "12"]))
def test_the_milp_fallback_keeps_the_rule_optimum_and_fills_the_elective_alike(
    sources: list[SourceOutcome], total: str
) -> None:
    policy = _tight(POLICY, total)
    limits = _limits(policy)
    candidates = screen(policy, sources, ON).candidates
    rules = sorted((c for c in candidates if not c.catch_all), key=lambda c: c.order)
    _, goal, _ = _branch_and_bound(rules, limits, ())
    goal = max(goal, Decimal(0))
    ordered = [*rules, *sorted((c for c in candidates if c.catch_all), key=lambda c: c.order)]
    searched, _ = _lexicographic_search(ordered, limits, (), goal, Decimal(0))
    solved = _by_milp(ordered, limits, (), goal)
    assert [c.order for c in solved] == [c.order for c in searched]
    assert tally(solved).total == tally(searched).total
