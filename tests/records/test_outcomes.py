"""Loading the four outcome kinds: bounds, dates, field names, and the committed payload."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.api.schemas.outcomes import load_outcome
from creditbank.canonical import canonical_json
from creditbank.errors import InvalidInput
from creditbank.records.grades import ECTS_GRADES, FIVE_LEVELS, LETTERS, Grade, GradeScale
from creditbank.records.outcomes import (
    MAX_COURSE_CREDITS,
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    TrainingOutcome,
)
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    Term,
)

TODAY = date(2025, 6, 30)
TOMORROW = (TODAY + timedelta(days=1)).isoformat()

COURSE: dict[str, Any] = {
    "kind": "course",
    "course_code": "MATH101",
    "title_zh": "高等数学",
    "title_en": "Advanced Mathematics",
    "source_institution": "12440000MB2C12345X",
    "level": "gaozhi",
    "programme": "计算机应用技术",
    "term": "2024-2025-1",
    "hours": 64,
    "credits": 4,
    "grade": {"scale": "percent", "value": "85.50"},
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


def problems(item: Any, index: int | None = None) -> dict[str, str]:
    """The problems of a rejected item, field → reason (and every index checked)."""
    with pytest.raises(InvalidInput) as exc:
        load_outcome(item, today=TODAY, index=index)
    assert exc.value.problems
    assert all(p.index == index for p in exc.value.problems)
    return {p.field: p.reason for p in exc.value.problems}


# --- happy paths ----------------------------------------------------------------------------


def test_course() -> None:
    outcome = load_outcome(COURSE, today=TODAY)
    assert outcome == CourseOutcome(
        course_code="MATH101",
        title_zh="高等数学",
        title_en="Advanced Mathematics",
        source_institution="12440000MB2C12345X",
        level=Level.GAOZHI,
        programme="计算机应用技术",
        term=Term(2024, 1),
        hours=64,
        credits=Decimal(4),
        grade=Grade(GradeScale.PERCENT, "85.5", True),
        completed_on=date(2025, 1, 15),
    )
    assert outcome.to_payload() == {
        **COURSE,
        "credits": "4",
        "grade": {"scale": "percent", "value": "85.5"},
    }


def test_course_without_english_title() -> None:
    outcome = load_outcome(without(COURSE, "title_en"), today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.title_en is None
    assert outcome.to_payload()["title_en"] is None
    assert load_outcome(changed(COURSE, title_en=None), today=TODAY) == outcome


def test_certificate() -> None:
    outcome = load_outcome(CERTIFICATE, today=TODAY)
    assert outcome == CertificateOutcome(
        certificate_type=CertificateType.ONE_PLUS_X,
        title="Web 前端开发职业技能等级证书",
        level=CertificateLevel.ZHONGJI,
        certificate_number="WEB-2024-000123",
        awarding_organisation="北京新奥时代科技有限责任公司",
        issued_on=date(2024, 6, 1),
        expires_on=date(2028, 6, 1),
    )
    assert outcome.to_payload() == CERTIFICATE


def test_certificate_without_level_or_expiry() -> None:
    item = changed(
        without(CERTIFICATE, "level", "expires_on"), certificate_type="vocational_qualification"
    )
    outcome = load_outcome(item, today=TODAY)
    assert isinstance(outcome, CertificateOutcome)
    assert outcome.level is None
    assert outcome.expires_on is None
    assert outcome.to_payload() == {**item, "level": None, "expires_on": None}


def test_training() -> None:
    outcome = load_outcome(TRAINING, today=TODAY)
    assert outcome == TrainingOutcome(
        provider="华为技术有限公司",
        title="HCIA-Datacom 培训",
        hours=40,
        result=Grade(GradeScale.TWO_LEVEL, "合格", True),
        started_on=date(2024, 3, 1),
        completed_on=date(2024, 3, 10),
    )
    assert outcome.to_payload() == TRAINING


def test_training_of_one_day() -> None:
    item = changed(TRAINING, completed_on=TRAINING["started_on"])
    assert load_outcome(item, today=TODAY).to_payload() == item


def test_award() -> None:
    outcome = load_outcome(AWARD, today=TODAY)
    assert outcome == AwardOutcome(
        competition="全国职业院校技能大赛",
        level=CompetitionLevel.NATIONAL,
        rank=AwardRank.FIRST_PRIZE,
        awarded_on=date(2024, 5, 20),
        track="网络系统管理",
    )
    assert outcome.to_payload() == AWARD
    no_track = load_outcome(without(AWARD, "track"), today=TODAY)
    assert isinstance(no_track, AwardOutcome)
    assert no_track.track is None


@pytest.mark.parametrize("kind", sorted(ALL))
def test_payload_is_a_valid_input(kind: str) -> None:
    outcome = load_outcome(ALL[kind], today=TODAY)
    payload = outcome.to_payload()
    assert payload["kind"] == kind
    assert json.loads(canonical_json(payload)) == payload
    assert load_outcome(payload, today=TODAY) == outcome


# --- bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, 1, MAX_COURSE_HOURS])
def test_course_hours_in_range(hours: int) -> None:
    outcome = load_outcome(changed(COURSE, hours=hours), today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.hours == hours


@pytest.mark.parametrize("hours", [-1, MAX_COURSE_HOURS + 1, True, False, 64.0, 64.5, "64", None])
def test_course_hours_rejected(hours: Any) -> None:
    assert list(problems(changed(COURSE, hours=hours))) == ["hours"]


@pytest.mark.parametrize("hours", [1, MAX_TRAINING_HOURS])
def test_training_hours_in_range(hours: int) -> None:
    outcome = load_outcome(changed(TRAINING, hours=hours), today=TODAY)
    assert isinstance(outcome, TrainingOutcome)
    assert outcome.hours == hours


@pytest.mark.parametrize("hours", [0, -5, MAX_TRAINING_HOURS + 1, True, 40.0, "40"])
def test_training_hours_rejected(hours: Any) -> None:
    assert list(problems(changed(TRAINING, hours=hours))) == ["hours"]


@pytest.mark.parametrize(
    ("credits", "expected"),
    [
        (0, Decimal(0)),
        (4, Decimal(4)),
        (30, MAX_COURSE_CREDITS),
        (0.5, Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        ("29.9", Decimal("29.9")),
        ("30.0", Decimal(30)),
        (2.5, Decimal("2.5")),
    ],
)
def test_credits_in_range(credits: Any, expected: Decimal) -> None:
    outcome = load_outcome(changed(COURSE, credits=credits), today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.credits == expected


@pytest.mark.parametrize(
    "credits",
    [
        "1.25",
        1.25,
        "0.05",
        30.1,
        "30.1",
        31,
        -0.5,
        -1,
        True,
        False,
        float("nan"),
        "NaN",
        float("inf"),
        "-Infinity",
        "four",
        "",
        None,
        [4],
        {"value": 4},
    ],
)
def test_credits_rejected(credits: Any) -> None:
    assert list(problems(changed(COURSE, credits=credits))) == ["credits"]


def test_two_decimal_credits_name_the_rule() -> None:
    assert problems(changed(COURSE, credits="2.25")) == {"credits": "at most one decimal place"}


@pytest.mark.parametrize(
    ("grade", "field"),
    [
        ({"scale": "percent", "value": "100.01"}, "grade.value"),
        ({"scale": "percent", "value": "85.555"}, "grade.value"),
        ({"scale": "percent", "value": "NaN"}, "grade.value"),
        ({"scale": "percent", "value": 85}, "grade.value"),
        ({"scale": "five_level", "value": "差"}, "grade.value"),
        ({"scale": "hundred", "value": "85"}, "grade.scale"),
        ({"scale": "percent"}, "grade.value"),
        ({"scale": "percent", "value": "85", "weight": 1}, "grade.weight"),
    ],
)
def test_bad_grades_name_the_nested_field(grade: dict[str, Any], field: str) -> None:
    assert list(problems(changed(COURSE, grade=grade))) == [field]


def test_bad_training_result_names_result() -> None:
    assert list(problems(changed(TRAINING, result={"scale": "ects", "value": "G"}))) == [
        "result.value"
    ]


@pytest.mark.parametrize(("name", "limit"), [("course_code", 40), ("source_institution", 32)])
def test_text_lengths(name: str, limit: int) -> None:
    load_outcome(changed(COURSE, **{name: "码" * limit}), today=TODAY)
    assert list(problems(changed(COURSE, **{name: "码" * (limit + 1)}))) == [name]
    assert list(problems(changed(COURSE, **{name: ""}))) == [name]


@pytest.mark.parametrize("term", ["2024-2026-1", "2024-2025-3", "2024", "1900-1901-1", 2024])
def test_bad_term(term: Any) -> None:
    assert list(problems(changed(COURSE, term=term))) == ["term"]


@pytest.mark.parametrize("level", ["GAOZHI", "高职", "doctorate", None, ""])
def test_bad_level(level: Any) -> None:
    assert list(problems(changed(COURSE, level=level))) == ["level"]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "name"),
    [
        (COURSE, "completed_on"),
        (CERTIFICATE, "issued_on"),
        (AWARD, "awarded_on"),
        (TRAINING, "completed_on"),
    ],
)
def test_future_dates_are_rejected(base: dict[str, Any], name: str) -> None:
    today = changed(base, **{name: TODAY.isoformat()})
    assert load_outcome(today, today=TODAY)
    found = problems(changed(base, **{name: TOMORROW}))
    assert list(found) == [name]
    assert TOMORROW in found[name]
    assert "future" in found[name]


def test_future_training_start_is_rejected() -> None:
    found = problems(changed(TRAINING, started_on=TOMORROW, completed_on=TOMORROW))
    assert set(found) == {"started_on", "completed_on"}
    assert all("future" in reason for reason in found.values())


def test_expiry_may_be_in_the_future() -> None:
    item = changed(CERTIFICATE, expires_on="2099-12-31")
    outcome = load_outcome(item, today=TODAY)
    assert isinstance(outcome, CertificateOutcome)
    assert outcome.expires_on == date(2099, 12, 31)


@pytest.mark.parametrize("expires_on", ["2024-06-01", "2024-05-31", "2000-01-01"])
def test_expiry_not_after_issue_is_rejected(expires_on: str) -> None:
    found = problems(changed(CERTIFICATE, expires_on=expires_on))
    assert list(found) == ["expires_on"]
    assert "issued_on" in found["expires_on"]


def test_expiry_the_day_after_issue_is_accepted() -> None:
    load_outcome(changed(CERTIFICATE, expires_on="2024-06-02"), today=TODAY)


def test_training_ending_before_it_started() -> None:
    found = problems(changed(TRAINING, started_on="2024-03-10", completed_on="2024-03-09"))
    assert list(found) == ["completed_on"]
    assert "started_on" in found["completed_on"]


@pytest.mark.parametrize("day", ["2024-02-30", "2024/05/20", "yesterday", "", None, 20240520])
def test_bad_dates(day: Any) -> None:
    assert list(problems(changed(AWARD, awarded_on=day))) == ["awarded_on"]


# --- certificates ---------------------------------------------------------------------------


@pytest.mark.parametrize("item", [without(CERTIFICATE, "level"), changed(CERTIFICATE, level=None)])
def test_one_plus_x_needs_a_level(item: dict[str, Any]) -> None:
    found = problems(item)
    assert list(found) == ["level"]
    assert "1+X" in found["level"]


@pytest.mark.parametrize("level", ["chuji", "zhongji", "gaoji"])
def test_one_plus_x_levels(level: str) -> None:
    outcome = load_outcome(changed(CERTIFICATE, level=level), today=TODAY)
    assert isinstance(outcome, CertificateOutcome)
    assert outcome.level is CertificateLevel(level)


def test_bad_certificate_level_and_type() -> None:
    assert list(problems(changed(CERTIFICATE, level="expert"))) == ["level"]
    assert list(problems(changed(CERTIFICATE, certificate_type="diploma"))) == ["certificate_type"]


# --- shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(ALL))
def test_unknown_field_is_rejected(kind: str) -> None:
    found = problems(changed(ALL[kind], colour="red"))
    assert list(found) == ["colour"]


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_missing_field_is_named(kind: str) -> None:
    base = ALL[kind]
    optional = {"title_en", "level", "expires_on", "track"} - (
        {"level"} if kind in ("course", "award") else set()
    )
    required = {name for name in base if name not in optional | {"kind"}}
    assert set(problems({"kind": kind})) == required


@pytest.mark.parametrize("kind", ["diploma", "Course", "", None, 1])
def test_wrong_kind(kind: Any) -> None:
    found = problems(changed(COURSE, kind=kind))
    assert list(found) == ["kind"]
    assert "course" in found["kind"]


def test_missing_kind() -> None:
    assert list(problems(without(COURSE, "kind"))) == ["kind"]


def test_fields_of_another_kind_are_unknown() -> None:
    found = problems(changed(AWARD, kind="course"))
    assert {"competition", "rank", "awarded_on", "track"} <= set(found)
    assert "course_code" in found


@pytest.mark.parametrize("kind", [["course"], {"course": 1}])
def test_unhashable_kind_is_invalid_input(kind: Any) -> None:
    assert list(problems(changed(COURSE, kind=kind))) == ["kind"]


@pytest.mark.parametrize("item", [[COURSE], "course", None, 42])
def test_not_an_object(item: Any) -> None:
    assert list(problems(item)) == ["body"]


@pytest.mark.parametrize(
    "item",
    [
        [COURSE],
        changed(COURSE, kind="diploma"),
        changed(COURSE, hours=-1, credits="1.25", colour="red", completed_on=TOMORROW),
        changed(COURSE, grade={"scale": "percent", "value": "101"}),
        changed(CERTIFICATE, level=None),
        changed(CERTIFICATE, expires_on="2024-01-01"),
        changed(TRAINING, started_on="2024-03-11"),
        changed(AWARD, rank="winner"),
    ],
)
@pytest.mark.parametrize("index", [0, 7, None])
def test_index_is_carried_in_every_problem(item: Any, index: int | None) -> None:
    problems(item, index)  # checks every problem's index


def test_every_problem_is_reported() -> None:
    found = problems(
        changed(COURSE, hours=-1, credits="1.25", colour="red", completed_on=TOMORROW), index=3
    )
    assert set(found) == {"hours", "credits", "colour", "completed_on"}


# --- properties -----------------------------------------------------------------------------

safe_text = st.characters(exclude_categories=["Cs"])


def text(max_size: int, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(safe_text, min_size=min_size, max_size=max_size)


@st.composite
def grades(draw: st.DrawFn) -> dict[str, str]:
    scale = draw(st.sampled_from(GradeScale))
    if scale is GradeScale.PERCENT:
        value = f"{Decimal(draw(st.integers(0, 10000))) / 100:.2f}"
    elif scale in (GradeScale.GPA4, GradeScale.GPA5):
        top = 400 if scale is GradeScale.GPA4 else 500
        value = f"{Decimal(draw(st.integers(0, top))) / 100}"
    elif scale is GradeScale.FIVE_LEVEL:
        value = draw(st.sampled_from([*FIVE_LEVELS, "优", "良", "中"]))
    elif scale is GradeScale.TWO_LEVEL:
        value = draw(st.sampled_from(["合格", "不合格"]))
    elif scale is GradeScale.LETTER:
        value = draw(st.sampled_from(LETTERS))
        value = value.lower() if draw(st.booleans()) else value
    else:
        value = draw(st.sampled_from(ECTS_GRADES))
    return {"scale": scale.value, "value": value}


@st.composite
def credit_spellings(draw: st.DrawFn) -> Any:
    tenths = draw(st.integers(0, 300))
    number = Decimal(tenths) / 10
    spellings: list[Any] = [str(number), float(number)]
    if tenths % 10 == 0:
        spellings += [tenths // 10, f"{tenths // 10}.0"]
    return draw(st.sampled_from(spellings))


@st.composite
def courses(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(1950, 2100))
    item: dict[str, Any] = {
        "kind": "course",
        "course_code": draw(text(40)),
        "title_zh": draw(text(200)),
        "source_institution": draw(text(32)),
        "level": draw(st.sampled_from([level.value for level in Level])),
        "programme": draw(text(100)),
        "term": f"{start}-{start + 1}-{draw(st.integers(1, 2))}",
        "hours": draw(st.integers(0, MAX_COURSE_HOURS)),
        "credits": draw(credit_spellings()),
        "grade": draw(grades()),
        "completed_on": draw(st.dates(date(1950, 1, 1), TODAY)).isoformat(),
    }
    title_en = draw(st.none() | text(200, min_size=0) | st.just(...))
    if title_en is not ...:
        item["title_en"] = title_en
    return item


@settings(max_examples=200, deadline=None)
@given(courses())
def test_generated_courses_load_and_their_payload_reloads(item: dict[str, Any]) -> None:
    outcome = load_outcome(item, today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.course_code == item["course_code"]
    assert outcome.hours == item["hours"]
    assert outcome.credits == Decimal(str(item["credits"]))
    payload = outcome.to_payload()
    assert set(payload) == set(COURSE)
    again = load_outcome(payload, today=TODAY)
    assert again == outcome
    assert again.to_payload() == payload
    encoded = canonical_json(payload)
    assert canonical_json(again.to_payload()) == encoded
    assert json.loads(encoded) == payload


@settings(max_examples=100, deadline=None)
@given(courses(), grades())
def test_equal_grades_commit_the_same_bytes(item: dict[str, Any], grade: dict[str, str]) -> None:
    # A grade is canonicalised: "85.50" and "85.5", "良" and "良好", "b+" and "B+" agree.
    first = load_outcome(changed(item, grade=grade), today=TODAY)
    respelled = {"scale": grade["scale"], "value": f" {grade['value'].upper()} "}
    if grade["scale"] in ("percent", "gpa4", "gpa5"):
        respelled["value"] = f"{Decimal(grade['value']):.2f}"
    second = load_outcome(changed(item, grade=respelled), today=TODAY)
    assert first == second
    assert canonical_json(first.to_payload()) == canonical_json(second.to_payload())


@settings(max_examples=100, deadline=None)
@given(courses(), st.integers(0, 30))
def test_equal_credits_commit_the_same_bytes(item: dict[str, Any], whole: int) -> None:
    first = load_outcome(changed(item, credits=whole), today=TODAY)
    second = load_outcome(changed(item, credits=float(whole)), today=TODAY)
    assert first == second
    assert canonical_json(first.to_payload()) == canonical_json(second.to_payload())


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (10, "1e1"),
        (0, "-0"),
        ("0.5", "5e-1"),
        ("0.5", 0.5),
        (2, 2.0),
        ("2", "2.0"),
        (30, "30.0"),
        ("0", "0.0"),
    ],
)
def test_credit_spellings_commit_the_same_bytes(one: Any, other: Any) -> None:
    first = load_outcome(changed(COURSE, credits=one), today=TODAY)
    second = load_outcome(changed(COURSE, credits=other), today=TODAY)
    assert first == second
    assert canonical_json(first.to_payload()) == canonical_json(second.to_payload())


def test_equal_outcomes_of_every_kind_commit_the_same_bytes() -> None:
    for item in ALL.values():
        first = load_outcome(item, today=TODAY)
        second = load_outcome(json.loads(json.dumps(item)), today=TODAY)
        assert first == second
        assert canonical_json(first.to_payload()) == canonical_json(second.to_payload())
