"""Focused cases for conditions and caps the sample policies do not reach on their own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from creditbank.records.parsing import parse_outcome
from creditbank.rules.candidates import SourceOutcome
from creditbank.rules.evaluate import evaluate
from creditbank.rules.loader import load_policy
from creditbank.rules.policy import Caps

POLICY = load_policy(
    Path(__file__).resolve().parents[2] / "policies" / "cq-3plus2-industrial-robotics.toml"
)
ON = date(2026, 9, 1)


def _course(title: str, level: str = "zhongzhi", grade: str = "80") -> dict[str, Any]:
    return {
        "kind": "course",
        "course_code": "ZZ-1",
        "title_zh": title,
        "source_institution": "CQ-ZZ-001",
        "level": level,
        "programme": "机电",
        "term": "2024-2025-1",
        "hours": 64,
        "credits": "4",
        "grade": {"scale": "percent", "value": grade},
        "completed_on": "2025-01-10",
    }


def _award(level: str, rank: str) -> dict[str, Any]:
    return {
        "kind": "award",
        "competition": "技能大赛",
        "level": level,
        "rank": rank,
        "awarded_on": "2025-05-20",
        "track": None,
    }


def _sources(*items: dict[str, Any]) -> list[SourceOutcome]:
    return [
        SourceOutcome(f"r{n}", "CQ-ZZ-001", "重庆", parse_outcome(item, today=ON))
        for n, item in enumerate(items)
    ]


def _reasons(result: dict[str, Any], record: str) -> set[str]:
    return next(
        {r["code"] for r in o["reasons"]} for o in result["outcomes"] if o["record"] == record
    )


def test_a_course_at_another_level_is_refused() -> None:
    result = evaluate(POLICY, _sources(_course("电工基础", level="gaozhi")), ON).body
    assert result["recognised_credits"] == "0"
    assert _reasons(result, "r0") == {"level"}


def test_awards_below_the_level_or_without_a_listed_rank_are_not_used() -> None:
    sources = _sources(_award("school", "first_prize"), _award("national", "honourable_mention"))
    result = evaluate(POLICY, sources, ON).body
    assert result["recognised_credits"] == "0"
    # Each is told the specific shortfall, not a generic "no rule applies".
    assert _reasons(result, "r0") == {"award_level"}
    assert _reasons(result, "r1") == {"award_rank"}
    assert (
        evaluate(POLICY, _sources(_award("municipal", "third_prize")), ON).body[
            "recognised_credits"
        ]
        == "2"
    )


def test_the_total_cap_binds_exactly() -> None:
    sources = _sources(_course("电工基础"), _course("数学1"), _course("数学2"))
    # Both rules would give 4 + 4 = 8; with the total capped at 4 only the first (by order) fits.
    capped = replace(POLICY, caps=Caps(total_credits=Decimal(4)))
    result = evaluate(capped, sources, ON).body
    assert result["recognised_credits"] == "4"
    assert {"cap"} <= _reasons(result, "r1") | _reasons(result, "r0")


def test_residency_limits_what_can_transfer() -> None:
    programme = replace(POLICY.programme, residency_credits=POLICY.programme.total_credits - 4)
    tight = replace(POLICY, programme=programme, caps=Caps())
    sources = _sources(_course("电工基础"), _course("数学1"), _course("数学2"))
    assert evaluate(tight, sources, ON).body["recognised_credits"] == "4"
    assert evaluate(replace(POLICY, caps=Caps()), sources, ON).body["recognised_credits"] == "8"
