"""Outcome items for tests: one valid item of each kind, small edits of them, and
Hypothesis strategies for valid items in canonical and in respelled forms."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from creditbank.records.grades import ECTS_GRADES, FIVE_LEVELS, LETTERS, GradeScale
from creditbank.records.outcomes import (
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    MIN_TRAINING_HOURS,
    TEXT_LIMITS,
)
from creditbank.records.vocabulary import (
    INSTITUTION_CODE,
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
)
from creditbank.text import line_policy

TODAY = date(2025, 6, 30)
TOMORROW = (TODAY + timedelta(days=1)).isoformat()

COURSE: dict[str, Any] = {
    "kind": "course",
    "course_code": "MATH101",
    "title_zh": "高等数学",
    "title_en": "Advanced Mathematics",
    "source_institution": "12500000MB2C12345X",
    "level": "gaozhi",
    "programme": "计算机应用技术",
    "term": "2024-2025-1",
    "hours": 64,
    "credits": "3.5",
    "grade": {"scale": "percent", "value": "85"},
    "completed_on": "2025-01-15",
}
CERTIFICATE: dict[str, Any] = {
    "kind": "certificate",
    "certificate_type": "one_plus_x",
    "title": "Web 前端开发职业技能等级证书",
    "level": "zhongji",
    "certificate_number": "WEB-2024-000123",
    "awarding_organisation": "北京新奥时代科技有限责任公司",
    "issued_on": "2024-06-01",
    "expires_on": "2028-06-01",
}
TRAINING: dict[str, Any] = {
    "kind": "training",
    "provider": "华为技术有限公司",
    "title": "HCIA-Datacom 培训",
    "hours": 40,
    "result": {"scale": "two_level", "value": "合格"},
    "started_on": "2024-03-01",
    "completed_on": "2024-03-10",
}
AWARD: dict[str, Any] = {
    "kind": "award",
    "competition": "全国职业院校技能大赛",
    "level": "national",
    "rank": "first_prize",
    "awarded_on": "2024-05-20",
    "track": "网络系统管理",
}
ALL = {"course": COURSE, "certificate": CERTIFICATE, "training": TRAINING, "award": AWARD}


def changed(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**base, **fields}


def without(base: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k not in names}


# Format characters (Cf) hold the bidi controls and zero-width characters the text policy refuses.
printable = st.characters(exclude_categories=["Cs", "Cc", "Cf"])


def text(max_size: int) -> st.SearchStrategy[str]:
    """Text in its stored spelling: accepted by the one-line policy, and already NFC."""
    policy = line_policy(max_size)
    return st.text(printable, min_size=1, max_size=max_size).filter(
        lambda t: policy.problem(t) is None and unicodedata.is_normalized("NFC", t)
    )


@st.composite
def grades(draw: st.DrawFn) -> dict[str, str]:
    """A grade in its canonical spelling."""
    scale = draw(st.sampled_from(GradeScale))
    if scale is GradeScale.PERCENT:
        value = str(Decimal(draw(st.integers(0, 1000))) / 10)
    elif scale in (GradeScale.GPA4, GradeScale.GPA5, GradeScale.TEN_POINT):
        top = {GradeScale.GPA4: 400, GradeScale.GPA5: 500}.get(scale, 1000)
        value = str(Decimal(draw(st.integers(0, top))) / 100)
    elif scale is GradeScale.FIVE_LEVEL:
        value = draw(st.sampled_from(FIVE_LEVELS))
    elif scale is GradeScale.TWO_LEVEL:
        value = draw(st.sampled_from(["合格", "不合格"]))
    elif scale is GradeScale.LETTER:
        value = draw(st.sampled_from(LETTERS))
    else:
        value = draw(st.sampled_from(ECTS_GRADES))
    # Canonical: Decimal division may leave "85.0" or "3.50"; the payload writes "85", "3.5".
    if scale in (GradeScale.PERCENT, GradeScale.GPA4, GradeScale.GPA5, GradeScale.TEN_POINT):
        value = format(Decimal(value).normalize() + 0, "f")
    return {"scale": scale.value, "value": value}


def respelled(grade: dict[str, str], draw: st.DrawFn) -> dict[str, str]:
    """The same grade as an institution might write it."""
    value = grade["value"]
    if grade["scale"] in ("percent", "gpa4", "gpa5", "ten_point"):
        places = 1 if grade["scale"] == "percent" else 2
        value = f"{Decimal(value):.{places}f}"
    elif grade["scale"] == "five_level":
        shorts = {"优秀": "优", "良好": "良", "中等": "中"}
        value = shorts.get(value, value) if draw(st.booleans()) else value
    else:
        value = value.lower()
    return {"scale": grade["scale"], "value": f" {value}\u3000"}


@st.composite
def courses(draw: st.DrawFn) -> dict[str, Any]:
    """A valid course item in canonical spelling (what to_payload writes)."""
    start = draw(st.integers(1950, 2100))
    return {
        "kind": "course",
        "course_code": draw(text(TEXT_LIMITS["course_code"])),
        "title_zh": draw(text(TEXT_LIMITS["title_zh"])),
        "title_en": draw(st.none() | text(TEXT_LIMITS["title_en"])),
        "source_institution": draw(st.from_regex(INSTITUTION_CODE, fullmatch=True)),
        "level": draw(st.sampled_from([level.value for level in Level])),
        "programme": draw(text(TEXT_LIMITS["programme"])),
        "term": f"{start}-{start + 1}-{draw(st.integers(1, 2))}",
        "hours": draw(st.integers(0, MAX_COURSE_HOURS)),
        "credits": str(Decimal(draw(st.integers(0, 300))) / 10).removesuffix(".0"),
        "grade": draw(grades()),
        "completed_on": draw(st.dates(date(1950, 1, 1), TODAY)).isoformat(),
    }


@st.composite
def respelled_courses(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A canonical course item and the same course written another valid way."""
    canonical = draw(courses())
    other = dict(canonical)
    credits = Decimal(canonical["credits"])
    other["credits"] = draw(
        st.sampled_from([float(credits), f"{credits:.1f}", f" {credits} "])
        | (st.just(int(credits)) if credits == int(credits) else st.nothing())
    )
    other["grade"] = respelled(canonical["grade"], draw)
    if canonical["title_en"] is None and draw(st.booleans()):
        del other["title_en"]
    return canonical, other


def _past_day(draw: st.DrawFn, after: date = date(1950, 1, 1)) -> date:
    return draw(st.dates(after, TODAY))


@st.composite
def certificates(draw: st.DrawFn) -> dict[str, Any]:
    """A valid certificate item in canonical spelling (a 1+X one always with its level)."""
    kind = draw(st.sampled_from([kind.value for kind in CertificateType]))
    level = draw(st.sampled_from([level.value for level in CertificateLevel]))
    issued = _past_day(draw)
    expires = draw(st.none() | st.dates(issued + timedelta(days=1), date(2100, 12, 31)))
    return {
        "kind": "certificate",
        "certificate_type": kind,
        "title": draw(text(TEXT_LIMITS["title"])),
        "level": level if kind == "one_plus_x" else draw(st.none() | st.just(level)),
        "certificate_number": draw(text(TEXT_LIMITS["certificate_number"])),
        "awarding_organisation": draw(text(TEXT_LIMITS["awarding_organisation"])),
        "issued_on": issued.isoformat(),
        "expires_on": None if expires is None else expires.isoformat(),
    }


@st.composite
def trainings(draw: st.DrawFn) -> dict[str, Any]:
    """A valid training item in canonical spelling."""
    started = _past_day(draw)
    return {
        "kind": "training",
        "provider": draw(text(TEXT_LIMITS["provider"])),
        "title": draw(text(TEXT_LIMITS["title"])),
        "hours": draw(st.integers(MIN_TRAINING_HOURS, MAX_TRAINING_HOURS)),
        "result": draw(grades()),
        "started_on": started.isoformat(),
        "completed_on": _past_day(draw, started).isoformat(),
    }


@st.composite
def awards(draw: st.DrawFn) -> dict[str, Any]:
    """A valid award item in canonical spelling."""
    return {
        "kind": "award",
        "competition": draw(text(TEXT_LIMITS["competition"])),
        "level": draw(st.sampled_from([level.value for level in CompetitionLevel])),
        "rank": draw(st.sampled_from([rank.value for rank in AwardRank])),
        "awarded_on": _past_day(draw).isoformat(),
        "track": draw(st.none() | text(TEXT_LIMITS["track"])),
    }


def outcome_items() -> st.SearchStrategy[dict[str, Any]]:
    """A valid item of any of the four kinds, in canonical spelling."""
    return courses() | certificates() | trainings() | awards()
