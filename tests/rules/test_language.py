"""Edge cases of each clause of the policy language, one small policy text at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creditbank.records.parsing import parse_outcome
from creditbank.rules.candidates import SourceOutcome, certificate_level
from creditbank.rules.evaluate import Exclude, Force, SetCap, SetCredits, evaluate
from creditbank.rules.loader import PolicyError, load_policy, parse_policy
from creditbank.rules.policy import Ladder, YearBasis

POLICIES = Path(__file__).resolve().parents[2] / "policies"
ON = date(2026, 9, 1)

HEAD = """
id = "tt"
version = "1"
title_zh = "测试"
title_en = "test"
pathway = "3+2"
source_levels = ["zhongzhi", "gaozhi"]
target_level = "gaozhi"
effective_from = "2020-01-01"
{extra}
[programme]
code = "P"
title_zh = "专业"
institution = "CQ-GZ-001"
total_credits = 100
{programme}
[[programme.courses]]
code = "A"
title_zh = "甲"
credits = 4
hours = 64
category = "专业核心"

[[programme.courses]]
code = "B"
title_zh = "乙"
credits = 4
hours = 64
category = "专业核心"

[[programme.courses]]
code = "S"
title_zh = "实践"
credits = 2
category = "实践"
"""


def _policy(rules: str, extra: str = "", programme: str = "") -> Any:
    return parse_policy(HEAD.format(extra=extra, programme=programme) + rules, "t.toml")


def _problems(rules: str, extra: str = "") -> dict[str, str]:
    with pytest.raises(PolicyError) as caught:
        _policy(rules, extra)
    return {p.field.removeprefix("t.toml:"): p.reason for p in caught.value.problems}


def _cert(title: str, n: int, level: str | None = None, **more: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "certificate",
        "certificate_type": "one_plus_x" if level else "vocational_qualification",
        "title": title,
        "certificate_number": f"C-{n}",
        "awarding_organisation": "鉴定中心",
        "issued_on": "2025-06-30",
        **more,
    }
    if level:
        item["level"] = level
    return item


def _course(title: str, grade: dict[str, str], **more: Any) -> dict[str, Any]:
    return {
        "kind": "course",
        "course_code": "ZZ-1",
        "title_zh": title,
        "source_institution": "CQ-ZZ-001",
        "level": "zhongzhi",
        "programme": "机电",
        "term": "2024-2025-1",
        "hours": 64,
        "credits": "4",
        "grade": grade,
        "completed_on": "2025-01-10",
        **more,
    }


def _training(title: str, hours: int, completed: str = "2025-07-03") -> dict[str, Any]:
    return {
        "kind": "training",
        "provider": "培训中心",
        "title": title,
        "hours": hours,
        "result": {"scale": "two_level", "value": "合格"},
        "started_on": completed,
        "completed_on": completed,
    }


def _sources(*items: dict[str, Any], institution: str = "CQ-ZZ-001") -> list[SourceOutcome]:
    return [
        SourceOutcome(f"r{n}", institution, "重庆", parse_outcome(item, today=ON))
        for n, item in enumerate(items)
    ]


def _reasons(body: dict[str, Any], record: str) -> set[str]:
    outcome = next(o for o in body["outcomes"] if o["record"] == record)
    return {r["code"] for r in outcome["reasons"]}


SKILL = """
[ladders.skill]
steps = ["五级", "四级", "三级", "二级", "一级"]
aliases = { "四级" = ["中级工"] }
"""
ELECTRICIAN = """
[[rules]]
id = "E1"
kind = "certificate"
title = "电工"
ladder = "skill"
min_level = "四级"
targets = ["A"]

[[rules]]
id = "E2"
kind = "certificate"
title = "电工"
ladder = "skill"
min_level = "五级"
targets = ["S"]
"""


# --- 1. level ladders -------------------------------------------------------------------


def test_a_level_is_read_from_the_title_or_an_alias_and_taken_out_of_it() -> None:
    skill = Ladder("skill", ("五级", "四级", "三级"), (("中级工", "四级"),))
    assert certificate_level(skill, "电工（四级）", None) == ("电工", "四级")
    assert certificate_level(skill, "电工 中级工", None) == ("电工", "四级")
    assert certificate_level(skill, "电工", None) == ("电工", None)


def test_the_same_certificate_counts_once_at_its_highest_level_whatever_the_order() -> None:
    policy = _policy(ELECTRICIAN, SKILL)
    items = [_cert("电工五级", 1), _cert("电工（中级工）", 2), _cert("电工五级", 3)]
    for ordered in (items, items[::-1]):
        body = evaluate(policy, _sources(*ordered), ON).body
        assert body["recognised_credits"] == "4"
        used = [o for o in body["outcomes"] if o["used"]]
        assert [o["title"] for o in used] == ["电工（中级工）"]


def test_equal_levels_of_one_certificate_count_once() -> None:
    body = evaluate(
        _policy(ELECTRICIAN, SKILL), _sources(_cert("电工四级", 1), _cert("电工四级", 2)), ON
    ).body
    assert body["recognised_credits"] == "4"
    assert _reasons(body, "r1") == {"lower_level"}


def test_ladders_are_validated_with_the_key_path() -> None:
    assert "rules.0.ladder" in _problems(ELECTRICIAN.replace('"skill"', '"nope"', 1), SKILL)
    bad_level = ELECTRICIAN.replace('min_level = "四级"', 'min_level = "六级"')
    assert _problems(bad_level, SKILL)["rules.0.min_level"].startswith("must be one of 五级")
    assert "ladders.one_plus_x" in _problems(ELECTRICIAN, SKILL.replace("skill]", "one_plus_x]"))
    assert "ladders.skill.aliases.九级" in _problems(
        ELECTRICIAN, SKILL.replace('"四级" = ["中级工"]', '"九级" = ["x"]')
    )


# --- 2. validity -------------------------------------------------------------------------


def test_a_certificate_is_valid_on_its_expiry_date_and_not_the_day_after() -> None:
    policy = _policy(ELECTRICIAN, SKILL)
    on_the_day = _sources(_cert("电工四级", 1, expires_on="2026-09-01"))
    assert evaluate(policy, on_the_day, ON).body["recognised_credits"] == "4"
    day_before = _sources(_cert("电工四级", 1, expires_on="2026-08-31"))
    body = evaluate(policy, day_before, ON).body
    assert body["recognised_credits"] == "0" and _reasons(body, "r0") == {"expired"}


def test_age_limits_per_kind_and_per_rule_hold_to_the_day() -> None:
    policy = _policy(ELECTRICIAN, "max_age_years = { certificate = 1 }\n" + SKILL)
    exactly = _sources(_cert("电工四级", 1, issued_on="2025-09-01"))
    assert evaluate(policy, exactly, ON).body["recognised_credits"] == "4"
    older = _sources(_cert("电工四级", 1, issued_on="2025-08-31"))
    assert _reasons(evaluate(policy, older, ON).body, "r0") == {"too_old"}
    per_rule = _policy(
        ELECTRICIAN.replace('min_level = "四级"', 'min_level = "四级"\nmax_age_years = 1'), SKILL
    )
    body = evaluate(per_rule, older, ON).body
    # E1 refuses it as too old; E2 (no limit of its own) still takes it for the practice course.
    assert body["recognised_credits"] == "2" and "too_old" not in _reasons(body, "r0")
    assert next(c for c in body["courses"] if c["code"] == "A")["reasons"][0]["code"] == "too_old"


# --- 3. parts that add up ----------------------------------------------------------------

HOURS = """
[[rules]]
id = "T"
kind = "training"
title_contains = "安全"
targets = ["S"]
accumulate = {{ unit = "hours", fill_at = 32, below = "{below}", combine = "{combine}" }}
"""


@pytest.mark.parametrize(
    ("hours", "below", "credits"),
    [
        ((16, 16), "nothing", "2"),  # exactly the threshold fills
        ((16, 15), "nothing", "0"),  # one hour short gives nothing
        ((16, 15), "proportional", "1.5"),  # 2 × 31/32 = 1.9375, down to the 0.5 step
        ((7,), "proportional", "0"),  # 0.4375 is under one step
        ((40, 8), "nothing", "2"),  # more than enough: the course holds 2
    ],
)
def test_hours_add_up_to_the_threshold(hours: tuple[int, ...], below: str, credits: str) -> None:
    policy = _policy(HOURS.format(below=below, combine="sum"))
    trainings = [_training(f"安全培训{n}", h, f"2025-07-0{n + 1}") for n, h in enumerate(hours)]
    body = evaluate(policy, _sources(*trainings), ON).body
    assert body["recognised_credits"] == credits


def test_parts_not_needed_are_said_to_be_so_and_stay_free() -> None:
    policy = _policy(HOURS.format(below="nothing", combine="sum"))
    body = evaluate(
        policy, _sources(_training("安全培训甲", 40), _training("安全培训乙", 8)), ON
    ).body
    assert _reasons(body, "r1") == {"parts_enough"}


def test_the_same_training_counts_once_with_sum_distinct() -> None:
    policy = _policy(HOURS.format(below="nothing", combine="sum_distinct"))
    same = _sources(
        _training("安全培训", 16, "2025-07-01"), _training("安全培训", 16, "2025-07-02")
    )
    body = evaluate(policy, same, ON).body
    assert body["recognised_credits"] == "0"
    assert _reasons(body, "r1") == {"same_part"} and _reasons(body, "r0") == {"below_fill"}


def test_a_forced_outcome_adds_to_parts_and_the_total_counts_it() -> None:
    policy = _policy(HOURS.format(below="nothing", combine="sum"))
    sources = _sources(_training("安全培训", 8), _cert("安全员证", 9))
    force = Force("r1", "S", Decimal("1.5"), "reg", "等同 24 学时")
    body = evaluate(policy, sources, ON, [force]).body
    # 1.5 of 2 credits is 24 of 32 学时; with the training's 8 the course is filled.
    assert body["recognised_credits"] == "2"
    assert all(o["used"] for o in body["outcomes"])
    alone = evaluate(policy, sources[1:], ON, [replace(force, record_id="r1")]).body
    assert alone["recognised_credits"] == "1.5"
    course = next(c for c in alone["courses"] if c["code"] == "S")
    assert course["partial"] is True and course["reasons"][0]["code"] == "forced_parts"


def test_parts_need_one_target() -> None:
    rules = HOURS.format(below="nothing", combine="sum").replace('["S"]', '["S", "A"]')
    assert "rules.0.targets" in _problems(rules)


# --- 5 and 6. scopes, agreements, source-dependent equivalence ----------------------------

AGREEMENT = """
[agreements.vn]
institutions = ["VN-HN-001"]
starts = "2024-09-01"
ends = "2025-01-10"
"""
COURSE = """
[[rules]]
id = "C"
kind = "course"
sources = [{{ title = "甲课" }}]
targets = ["A"]
{more}
"""


def test_an_agreement_covers_its_own_dates_inclusive() -> None:
    policy = _policy(COURSE.format(more='agreements = ["vn"]'), AGREEMENT)
    pct = {"scale": "percent", "value": "80"}
    inside = _sources(_course("甲课", pct), institution="VN-HN-001")
    assert evaluate(policy, inside, ON).body["recognised_credits"] == "4"
    after = _sources(_course("甲课", pct, completed_on="2025-01-11"), institution="VN-HN-001")
    assert _reasons(evaluate(policy, after, ON).body, "r0") == {"agreement_dates"}
    other = _sources(_course("甲课", pct), institution="TH-BK-001")
    assert _reasons(evaluate(policy, other, ON).body, "r0") == {"no_agreement"}
    assert "rules.0.agreements" in _problems(COURSE.format(more='agreements = ["th"]'), AGREEMENT)


@pytest.mark.parametrize(("hours", "credits"), [(51, "0"), (52, "4"), (64, "4")])
def test_hours_relative_to_the_target(hours: int, credits: str) -> None:
    # 80% of 64 is 51.2: 52 passes, 51 does not.
    policy = _policy(COURSE.format(more="min_hours_ratio = 0.8"))
    body = evaluate(
        policy, _sources(_course("甲课", {"scale": "percent", "value": "80"}, hours=hours)), ON
    ).body
    assert body["recognised_credits"] == credits


def test_grant_min_gives_the_smaller_credits() -> None:
    policy = _policy(COURSE.format(more='grant = "min"'))
    body = evaluate(
        policy, _sources(_course("甲课", {"scale": "percent", "value": "80"}, credits="2.5")), ON
    ).body
    assert body["recognised_credits"] == "2.5"


# --- 7. grade scales and rounding --------------------------------------------------------


@pytest.mark.parametrize(("mode", "credits"), [("half_up", "4"), ("down", "0")])
def test_59_5_counts_as_60_only_when_rounding_half_up(mode: str, credits: str) -> None:
    extra = f'[grade_rounding]\nmode = "{mode}"\n[min_grade]\ncourse = 60\n'
    policy = _policy(COURSE.format(more=""), extra)
    sources = _sources(_course("甲课", {"scale": "percent", "value": "59.5"}))
    assert evaluate(policy, sources, ON).body["recognised_credits"] == credits


def test_an_institutions_own_table_comes_before_the_general_one() -> None:
    extra = (
        "[grade_conversion.ten_point]\nbands = [[8, 85], [5, 60]]\n"
        '[grade_conversion."ten_point@TH-BK-001"]\nmultiply = 10\n[min_grade]\ncourse = 70\n'
    )
    policy = _policy(COURSE.format(more=""), extra)
    grade = {"scale": "ten_point", "value": "7.5"}
    # General bands: 7.5 is in the 5 band, 60 < 70. The Thai table: 75 ≥ 70.
    assert evaluate(policy, _sources(_course("甲课", grade)), ON).body["recognised_credits"] == "0"
    thai = _sources(_course("甲课", grade), institution="TH-BK-001")
    assert evaluate(policy, thai, ON).body["recognised_credits"] == "4"
    assert "grade_conversion.ten_point" in _problems(
        COURSE.format(more=""), "[grade_conversion.ten_point]\nadd = 1\n"
    )


def test_the_recorded_grade_is_stated_only_when_the_policy_says() -> None:
    pct = _sources(_course("甲课", {"scale": "percent", "value": "87"}))
    plain = evaluate(_policy(COURSE.format(more="")), pct, ON).body
    assert "recorded_as" not in plain["courses"][0]
    converted = evaluate(_policy(COURSE.format(more='record_as = "converted"')), pct, ON).body
    assert converted["courses"][0]["recorded_as"] == {"grade": "87", "in_gpa": True}
    outside = evaluate(_policy(COURSE.format(more=""), 'record_as = "outside_gpa"'), pct, ON).body
    assert outside["courses"][0]["recorded_as"] == {"grade": "免修", "in_gpa": False}


PCT_80 = {"scale": "percent", "value": "80"}
MAKEUP_RULES = (
    COURSE.format(more="min_grade = 70")
    + """
[[rules]]
id = "C2"
kind = "course"
sources = [{ title = "乙课" }]
targets = ["B"]
record_as = "converted"
"""
)


def _makeup(title: str, value: str) -> dict[str, Any]:
    return _course(title, {"scale": "percent", "value": value}, attempt="makeup")


def test_a_makeup_pass_counts_as_the_policys_grade_whatever_its_score() -> None:
    policy = _policy(MAKEUP_RULES, "[min_grade]\ncourse = 60\n[makeup]\ngrade = 60\n")
    sources = _sources(_makeup("甲课", "95"), _makeup("乙课", "91"))
    body = evaluate(policy, sources, ON).body
    # 95 at the 补考 counts as 60: below C1's 70, said so; 乙课 meets the 60 and is recorded
    # with the grade it counts as, not its score.
    assert body["recognised_credits"] == "4"
    assert _reasons(body, "r0") == {"makeup_grade"}
    (refused,) = [r for o in body["outcomes"] if o["record"] == "r0" for r in o["reasons"]]
    assert refused["params"] == {"grade": "95", "counted": "60", "minimum": "70"}
    b = next(c for c in body["courses"] if c["code"] == "B")
    assert b["recorded_as"] == {"grade": "60", "in_gpa": True}
    # The same scores at the regular exam count as scored.
    regular = _sources(
        _course("甲课", {"scale": "percent", "value": "95"}),
        _course("乙课", {"scale": "percent", "value": "91"}),
    )
    assert evaluate(policy, regular, ON).body["recognised_credits"] == "8"
    # Without a [makeup] clause a 补考 counts as scored too.
    plain = _policy(MAKEUP_RULES, "[min_grade]\ncourse = 60\n")
    assert evaluate(plain, sources, ON).body["recognised_credits"] == "8"


def test_a_failed_makeup_keeps_its_score() -> None:
    policy = _policy(MAKEUP_RULES, "[min_grade]\ncourse = 60\n[makeup]\ngrade = 60\n")
    body = evaluate(policy, _sources(_makeup("乙课", "48")), ON).body
    assert body["recognised_credits"] == "0"
    (refused,) = body["outcomes"][0]["reasons"]
    assert (refused["code"], refused["params"]["converted"]) == ("grade", "48")


def test_a_makeup_is_recorded_as_the_policy_says_before_the_rules_recording() -> None:
    extra = '[makeup]\nrecord_as = "及格"\n'
    policy = _policy(MAKEUP_RULES, extra)
    body = evaluate(policy, _sources(_makeup("乙课", "91"), _course("甲课", PCT_80)), ON).body
    recorded = {c["code"]: c.get("recorded_as") for c in body["courses"]}
    # The 补考 course says 及格 (not its converted 91); the regular one has no recording.
    assert recorded == {"A": None, "B": {"grade": "及格", "in_gpa": True}, "S": None}


def test_a_policy_can_refuse_makeup_passes() -> None:
    policy = _policy(MAKEUP_RULES, "[makeup]\naccepted = false\n")
    body = evaluate(policy, _sources(_makeup("乙课", "91")), ON).body
    assert body["recognised_credits"] == "0"
    assert _reasons(body, "r0") == {"makeup"}


@pytest.mark.parametrize(
    ("clause", "field"),
    [
        ("[makeup]\naccepted = false\ngrade = 60\n", "makeup.accepted"),
        ("[makeup]\ngrade = 160\n", "makeup.grade"),
        ('[makeup]\nrecord_as = "excellent"\n', "makeup.record_as"),
        ("[makeup]\ncounts = 60\n", "makeup.counts"),
    ],
)
def test_the_makeup_clause_is_validated(clause: str, field: str) -> None:
    assert field in _problems(MAKEUP_RULES, clause)


# --- 8. category caps and residency ------------------------------------------------------

TWO = """
[[rules]]
id = "C1"
kind = "course"
sources = [{ title = "甲课" }]
targets = ["A"]

[[rules]]
id = "C2"
kind = "course"
sources = [{ title = "乙课" }]
targets = ["B"]
"""


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ('[caps]\nper_category = { "专业核心" = { fraction = 0.5 } }\n', "category_cap"),
        ('[residency]\nper_category = { "专业核心" = 4 }\n', "residency_cap"),
        ("[residency]\nlast_credits = 96\n", "residency_cap"),
    ],
)
def test_category_caps_and_residency_are_named(extra: str, code: str) -> None:
    pct = {"scale": "percent", "value": "80"}
    body = evaluate(
        _policy(TWO, extra), _sources(_course("甲课", pct), _course("乙课", pct)), ON
    ).body
    assert body["recognised_credits"] == "4"
    assert _reasons(body, "r1") == {code}


# --- 9. gates ----------------------------------------------------------------------------

GATE = """
[[gates]]
id = "g"
title_zh = "转段考核"
title_en = "transfer assessment"
kind = "course"
title = "转段考核"
min_grade = 60
{rules}
"""


def test_a_gate_consumes_nothing_and_can_close_only_some_rules() -> None:
    pct = {"scale": "percent", "value": "80"}
    failed = {"scale": "percent", "value": "55"}
    policy = _policy(TWO + GATE.format(rules=""))
    passed = evaluate(policy, _sources(_course("甲课", pct), _course("转段考核", pct)), ON).body
    assert passed["recognised_credits"] == "4" and "unmet_gates" not in passed
    closed = evaluate(policy, _sources(_course("甲课", pct), _course("转段考核", failed)), ON).body
    assert closed["recognised_credits"] == "0" and _reasons(closed, "r0") == {"gate_unmet"}
    assert closed["unmet_gates"][0]["id"] == "g"
    some = _policy(TWO + GATE.format(rules='rules = ["C2"]'))
    body = evaluate(some, _sources(_course("甲课", pct), _course("乙课", pct)), ON).body
    assert body["recognised_credits"] == "4"
    assert (
        next(c for c in body["courses"] if c["code"] == "B")["reasons"][0]["code"] == "gate_unmet"
    )
    assert "gates.0.rules" in _problems(TWO + GATE.format(rules='rules = ["C9"]'))


# --- 10. the academic year of per-year caps ----------------------------------------------


def test_per_year_caps_count_by_term_or_by_date_as_the_policy_says() -> None:
    policy = load_policy(POLICIES / "xibu-lhxtd-asean-logistics.toml")
    pct = {"scale": "ten_point", "value": "9"}
    hsk = _cert("汉语水平考试（HSK）四级", 5)
    late = _course(
        "物流学概论",
        pct,
        level="gaozhi",
        term="2024-2025-2",
        hours=48,
        credits="3",
        completed_on="2025-09-05",
    )
    early = _course("海关与报关", pct, level="gaozhi", hours=48, credits="3")
    sources = [
        SourceOutcome(f"r{n}", "VN-HN-001", "越南", parse_outcome(item, today=ON))
        for n, item in enumerate((hsk, late, early))
    ]
    assert evaluate(policy, sources, ON).body["recognised_credits"] == "3"
    by_date = replace(policy, year_basis=YearBasis.COMPLETED_ON)
    assert evaluate(by_date, sources, ON).body["recognised_credits"] == "6"


# --- registrars --------------------------------------------------------------------------


def test_registrars_restrict_and_the_decisions_are_in_the_result() -> None:
    pct = {"scale": "percent", "value": "80"}
    policy = _policy(TWO)
    sources = _sources(_course("甲课", pct), _course("乙课", pct))
    assert evaluate(policy, sources, ON).body["recognised_credits"] == "8"
    excluded = evaluate(
        policy, sources, ON, [Exclude("r0", "reg", "复核中", "2026-09-01T10:00:00")]
    ).body
    assert excluded["recognised_credits"] == "4" and _reasons(excluded, "r0") == {"excluded"}
    assert excluded["exceptions"][0] == {
        "type": "exclude",
        "record": "r0",
        "by": "reg",
        "why": "复核中",
        "at": "2026-09-01T10:00:00",
    }
    capped = evaluate(
        policy, sources, ON, [SetCap("per_category.专业核心", Decimal(4), "reg", "限")]
    ).body
    assert capped["recognised_credits"] == "4" and _reasons(capped, "r1") == {"registrar_cap"}
    credits = evaluate(policy, sources, ON, [SetCredits("A", Decimal(3), "reg", "旧版方案")]).body
    assert credits["recognised_credits"] == "7"
    assert next(c for c in credits["courses"] if c["code"] == "A")["credits"] == "3"


def test_a_force_above_the_course_credits_counts_only_what_the_course_holds() -> None:
    policy = _policy(TWO)
    sources = _sources(_course("丙课", {"scale": "percent", "value": "80"}))
    body = evaluate(policy, sources, ON, [Force("r0", "A", Decimal(9), "reg", "x")]).body
    assert body["recognised_credits"] == "4"
    assert next(o for o in body["outcomes"] if o["record"] == "r0")["credits"] == "4"
