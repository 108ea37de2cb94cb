"""The engine's guarantees on learners generated for the policy language's newer clauses.

Against the 岗课赛证 policy (ladders, expiry, parts that add up, tracks, team prizes,
category caps and residency) with registrars' restrictions drawn too: no cap is passed, no
outcome is used twice, the total is what the courses say and counts every outcome reported
used, and the result does not depend on the order of the records.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.records.parsing import parse_outcome
from creditbank.rules.assign import _branch_and_bound, _by_milp, best_assignment, tally
from creditbank.rules.candidates import SourceOutcome, screen
from creditbank.rules.evaluate import Exception_, Exclude, Force, SetCap, _limits, evaluate
from creditbank.rules.loader import load_policy
from creditbank.rules.policy import Caps, Category, CategoryCap

POLICY = load_policy(
    Path(__file__).resolve().parents[2] / "policies" / "gangkesaizheng-smart-manufacturing.toml"
)
ON = date(2026, 9, 1)
SKILL_TITLES = ["电工", "可编程控制系统设计师", "工业机器人系统操作员"]
SKILL_LEVELS = ["五级", "四级", "三级", "（中级工）", "二级"]
X_TITLES = ["工业机器人操作与运维", "工业机器人集成应用", "智能制造生产管理与控制"]
COMPETITIONS = [("全国职业院校技能大赛", "national"), ("重庆市职业院校技能大赛", "provincial")]
TRACKS = ["工业机器人技术应用", "电子产品设计及制作", "汽车技术"]
RANKS = ["first_prize", "second_prize", "third_prize", "honourable_mention"]


@st.composite
def outcomes(draw: st.DrawFn) -> list[SourceOutcome]:
    items: list[dict[str, Any]] = []
    for n in range(draw(st.integers(0, 4))):
        year = draw(st.integers(2022, 2026))
        expiry = draw(st.sampled_from([None, "2026-08-31", "2026-09-01", "2027-06-30"]))
        item: dict[str, Any] = {
            "kind": "certificate",
            "certificate_type": "vocational_qualification",
            "title": draw(st.sampled_from(SKILL_TITLES)) + draw(st.sampled_from(SKILL_LEVELS)),
            "certificate_number": f"S-{n}",
            "awarding_organisation": "鉴定中心",
            "issued_on": f"{year}-06-0{draw(st.integers(1, 9))}",
        }
        if expiry is not None and expiry > item["issued_on"]:
            item["expires_on"] = expiry
        items.append(item)
    for n in range(draw(st.integers(0, 3))):
        items.append(
            {
                "kind": "certificate",
                "certificate_type": "one_plus_x",
                "title": draw(st.sampled_from(X_TITLES)),
                "level": draw(st.sampled_from(["chuji", "zhongji"])),
                "certificate_number": f"X-{n}",
                "awarding_organisation": "评价组织",
                "issued_on": f"202{draw(st.integers(4, 6))}-06-30",
            }
        )
    for n in range(draw(st.integers(0, 3))):
        items.append(
            {
                "kind": "training",
                "provider": "培训中心",
                "title": draw(st.sampled_from(["安全生产培训", "消防安全培训", "钳工培训"])),
                "hours": draw(st.integers(4, 40)),
                "result": {"scale": "two_level", "value": "合格"},
                "started_on": f"2025-07-1{n}",
                "completed_on": f"2025-07-1{n}",
            }
        )
    for _ in range(draw(st.integers(0, 3))):
        name, level = draw(st.sampled_from(COMPETITIONS))
        items.append(
            {
                "kind": "award",
                "competition": name,
                "level": level,
                "rank": draw(st.sampled_from(RANKS)),
                "awarded_on": f"202{draw(st.integers(3, 6))}-05-2{draw(st.integers(0, 9))}",
                "track": draw(st.sampled_from(TRACKS)),
            }
        )
    return [
        SourceOutcome(f"r{n:02d}", "CQ-JD-001", "重庆", parse_outcome(item, today=ON))
        for n, item in enumerate(items)
    ]


@st.composite
def restrictions(draw: st.DrawFn, sources: list[SourceOutcome]) -> list[Exception_]:
    found: list[Exception_] = []
    ids = [s.record_id for s in sources]
    if ids and draw(st.booleans()):
        found.append(Exclude(draw(st.sampled_from(ids)), "reg", "复核"))
    if draw(st.booleans()):
        found.append(SetCap("total_credits", Decimal(draw(st.integers(0, 12))), "reg", "限"))
    free = [i for i in ids if not any(isinstance(e, Exclude) and e.record_id == i for e in found)]
    if free and draw(st.booleans()):
        credits = Decimal(draw(st.sampled_from(["0.5", "1", "2"])))
        found.append(Force(draw(st.sampled_from(free)), "ZN202", credits, "reg", "等同"))
    return found


def _tight() -> Any:
    caps = replace(
        POLICY.caps,
        per_category=(
            CategoryCap(Category.CORE, Decimal(7), "per_category"),
            CategoryCap(Category.PRACTICE, Decimal(3), "residency"),
        ),
        total_credits=Decimal(12),
    )
    assert isinstance(caps, Caps)
    return replace(POLICY, caps=caps)


def _check(body: dict[str, Any], cap: Decimal | None) -> None:
    courses = body["courses"]
    total = sum((Decimal(c["recognised_credits"]) for c in courses), Decimal(0))
    assert total == Decimal(body["recognised_credits"])
    for course in courses:
        assert Decimal(course["recognised_credits"]) <= Decimal(course["credits"])
    per_category: dict[str, Decimal] = {}
    for course in courses:
        per_category[course["category"]] = per_category.get(
            course["category"], Decimal(0)
        ) + Decimal(course["recognised_credits"])
    assert per_category.get("专业核心", Decimal(0)) <= 7
    assert per_category.get("实践", Decimal(0)) <= 3
    if cap is not None:
        assert total <= cap
    counted = [r for c in courses for f in c["filled_by"] for r in f["records"]]
    assert len(counted) == len(set(counted))  # each outcome at most once
    used = {o["record"] for o in body["outcomes"] if o["used"]}
    assert used == set(counted)  # used means counted, and counted means reported used


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_caps_hold_each_outcome_counts_once_and_the_total_is_what_is_used(
    data: st.DataObject,
) -> None:
    policy = _tight()
    sources = data.draw(outcomes())
    exceptions = data.draw(restrictions(sources))
    body = evaluate(policy, sources, ON, exceptions).body
    caps = [e.credits for e in exceptions if isinstance(e, SetCap)]
    forced = sum((e.credits for e in exceptions if isinstance(e, Force)), Decimal(0))
    # Forced decisions are taken whatever the caps; nothing else passes them.
    _check(body, None if forced else min([Decimal(12), *caps]))
    excluded = {e.record_id for e in exceptions if isinstance(e, Exclude)}
    for outcome in body["outcomes"]:
        if outcome["record"] in excluded:
            assert not outcome["used"]
            assert [r["code"] for r in outcome["reasons"]] == ["excluded"]


@settings(max_examples=100, deadline=None)
@given(st.data(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_record_order(
    data: st.DataObject, rng: random.Random
) -> None:
    sources = data.draw(outcomes())
    exceptions = data.draw(restrictions(sources))
    shuffled = list(sources)
    rng.shuffle(shuffled)
    first = evaluate(_tight(), sources, ON, exceptions)
    assert first.result_hash == evaluate(_tight(), shuffled, ON, exceptions).result_hash


@settings(max_examples=60, deadline=None)
@given(outcomes())
def test_the_milp_fallback_agrees_under_category_caps(sources: list[SourceOutcome]) -> None:
    policy = _tight()
    limits = _limits(policy)
    candidates = screen(policy, sources, ON).candidates
    ordered = sorted((c for c in candidates if not c.catch_all), key=lambda c: c.order)
    searched, credits, _ = _branch_and_bound(ordered, limits, ())
    solved = _by_milp(ordered, limits, ())
    assert tally(solved).total == credits
    assert [c.order for c in solved] == [c.order for c in searched]
    assert best_assignment(candidates, limits).credits == credits
