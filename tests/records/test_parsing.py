"""Reading the four outcome kinds from JSON: fields, paths, batches, round trips."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.canonical import canonical_json
from creditbank.errors import InvalidInput
from creditbank.records.grades import FIVE_LEVELS, Grade, GradeScale
from creditbank.records.outcomes import (
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    OUTCOME_TYPES,
    TEXT_LIMITS,
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    TrainingOutcome,
)
from creditbank.records.parsing import FIELDS, parse_outcome, parse_outcomes
from creditbank.records.vocabulary import (
    Attempt,
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    Term,
)
from tests.records.outcome_items import (
    ALL,
    AWARD,
    CERTIFICATE,
    COURSE,
    TODAY,
    TOMORROW,
    TRAINING,
    changed,
    courses,
    outcome_items,
    respelled_courses,
    without,
)


def problems(item: Any, index: int | None = None) -> dict[str, str]:
    """The problems of a refused item, field → reason (and every index checked)."""
    with pytest.raises(InvalidInput) as exc:
        parse_outcome(item, today=TODAY, index=index)
    assert exc.value.problems
    assert all(p.index == index for p in exc.value.problems)
    assert all(p.reason for p in exc.value.problems)
    return {p.field: p.reason for p in exc.value.problems}


# --- happy paths ----------------------------------------------------------------------------


def test_course() -> None:
    outcome = parse_outcome(COURSE, today=TODAY)
    assert outcome == CourseOutcome(
        course_code="MATH101",
        title_zh="高等数学",
        title_en="Advanced Mathematics",
        source_institution="12500000MB2C12345X",
        level=Level.GAOZHI,
        programme="计算机应用技术",
        term=Term(2024, 1),
        hours=64,
        credits=Decimal("3.5"),
        grade=Grade(GradeScale.PERCENT, "85"),
        completed_on=date(2025, 1, 15),
    )
    assert outcome.to_payload() == COURSE


def test_a_makeup_course_names_its_attempt_and_a_regular_one_commits_its_old_bytes() -> None:
    makeup = parse_outcome(changed(COURSE, attempt="makeup"), today=TODAY)
    assert isinstance(makeup, CourseOutcome)
    assert makeup.attempt is Attempt.MAKEUP
    assert makeup.to_payload() == {**COURSE, "attempt": "makeup"}
    # Absent, null or "regular": the regular exam, and the payload as before the field.
    for item in (COURSE, changed(COURSE, attempt=None), changed(COURSE, attempt="regular")):
        regular = parse_outcome(item, today=TODAY)
        assert isinstance(regular, CourseOutcome)
        assert regular.attempt is Attempt.REGULAR
        assert regular.to_payload() == COURSE
    assert "attempt" in problems(changed(COURSE, attempt="resit"))


def test_course_without_english_title() -> None:
    outcome = parse_outcome(without(COURSE, "title_en"), today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.title_en is None
    assert outcome.to_payload()["title_en"] is None
    assert parse_outcome(changed(COURSE, title_en=None), today=TODAY) == outcome


def test_certificate() -> None:
    outcome = parse_outcome(CERTIFICATE, today=TODAY)
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
    outcome = parse_outcome(item, today=TODAY)
    assert isinstance(outcome, CertificateOutcome)
    assert outcome.level is None
    assert outcome.expires_on is None
    assert outcome.to_payload() == {**item, "level": None, "expires_on": None}


def test_training() -> None:
    outcome = parse_outcome(TRAINING, today=TODAY)
    assert outcome == TrainingOutcome(
        provider="华为技术有限公司",
        title="HCIA-Datacom 培训",
        hours=40,
        result=Grade(GradeScale.TWO_LEVEL, "合格"),
        started_on=date(2024, 3, 1),
        completed_on=date(2024, 3, 10),
    )
    assert outcome.to_payload() == TRAINING


def test_training_of_one_day() -> None:
    item = changed(TRAINING, completed_on=TRAINING["started_on"])
    assert parse_outcome(item, today=TODAY).to_payload() == item


def test_award() -> None:
    outcome = parse_outcome(AWARD, today=TODAY)
    assert outcome == AwardOutcome(
        competition="全国职业院校技能大赛",
        level=CompetitionLevel.NATIONAL,
        rank=AwardRank.FIRST_PRIZE,
        awarded_on=date(2024, 5, 20),
        track="网络系统管理",
    )
    assert outcome.to_payload() == AWARD
    no_track = parse_outcome(without(AWARD, "track"), today=TODAY)
    assert isinstance(no_track, AwardOutcome)
    assert no_track.track is None


@pytest.mark.parametrize("rank", [rank.value for rank in AwardRank])
def test_every_award_rank_loads(rank: str) -> None:
    outcome = parse_outcome(changed(AWARD, rank=rank), today=TODAY)
    assert isinstance(outcome, AwardOutcome)
    assert outcome.rank is AwardRank(rank)


# --- today ----------------------------------------------------------------------------------


def test_today_is_given_to_the_parser() -> None:
    item = changed(COURSE, completed_on=TOMORROW)
    with pytest.raises(InvalidInput):
        parse_outcome(item, today=TODAY)
    tomorrow = TODAY + timedelta(days=1)
    assert parse_outcome(item, today=tomorrow).to_payload() == item


# --- bounds and field checks ----------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, 1, MAX_COURSE_HOURS])
def test_course_hours_in_range(hours: int) -> None:
    outcome = parse_outcome(changed(COURSE, hours=hours), today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.hours == hours


@pytest.mark.parametrize("hours", [-1, MAX_COURSE_HOURS + 1, True, False, 64.0, 64.5, "64", None])
def test_course_hours_rejected(hours: Any) -> None:
    assert list(problems(changed(COURSE, hours=hours))) == ["hours"]


def test_course_hours_reason() -> None:
    assert problems(changed(COURSE, hours=2001)) == {"hours": "must be between 0 and 2000"}


@pytest.mark.parametrize("hours", [1, MAX_TRAINING_HOURS])
def test_training_hours_in_range(hours: int) -> None:
    outcome = parse_outcome(changed(TRAINING, hours=hours), today=TODAY)
    assert isinstance(outcome, TrainingOutcome)
    assert outcome.hours == hours


@pytest.mark.parametrize("hours", [0, -5, MAX_TRAINING_HOURS + 1, True, 40.0, "40"])
def test_training_hours_rejected(hours: Any) -> None:
    assert list(problems(changed(TRAINING, hours=hours))) == ["hours"]


@pytest.mark.parametrize(
    ("credits", "expected"),
    [
        (0, "0"),
        (4, "4"),
        (30, "30"),
        (0.5, "0.5"),
        ("0.5", "0.5"),
        ("29.9", "29.9"),
        ("30.0", "30"),
        ("3.50", "3.5"),
        (2.5, "2.5"),
        (" 2.5 ", "2.5"),
        ("5e-1", "0.5"),
        ("-0", "0"),
    ],
)
def test_credits_in_range(credits: Any, expected: str) -> None:
    outcome = parse_outcome(changed(COURSE, credits=credits), today=TODAY)
    assert isinstance(outcome, CourseOutcome)
    assert outcome.credits == Decimal(expected)
    assert outcome.to_payload()["credits"] == expected


@pytest.mark.parametrize(
    "credits",
    [
        "1.25",
        1.25,
        "0.05",
        0.1 + 0.2,  # 0.30000000000000004: more precision than one place
        1e-7,
        30.1,
        "30.1",
        31,
        10**400,
        -0.5,
        -1,
        True,
        False,
        float("nan"),
        "NaN",
        float("inf"),
        "-Infinity",
        "four",
        "3,5",
        "1_0",
        "",
        None,
        [4],
        {"value": 4},
    ],
)
def test_credits_rejected(credits: Any) -> None:
    assert list(problems(changed(COURSE, credits=credits))) == ["credits"]


def test_credit_reasons() -> None:
    assert problems(changed(COURSE, credits="2.25")) == {"credits": "at most one decimal place"}
    assert problems(changed(COURSE, credits=True)) == {
        "credits": "must be a number or a decimal string"
    }
    assert problems(changed(COURSE, credits=31)) == {"credits": "must be between 0 and 30"}


@pytest.mark.parametrize(
    ("grade", "field"),
    [
        ({"scale": "percent", "value": "100.1"}, "grade.value"),
        ({"scale": "percent", "value": "85.55"}, "grade.value"),
        ({"scale": "percent", "value": "NaN"}, "grade.value"),
        ({"scale": "percent", "value": 85}, "grade.value"),
        ({"scale": "five_level", "value": "差"}, "grade.value"),
        ({"scale": "hundred", "value": "85"}, "grade.scale"),
        ({"scale": "percent"}, "grade.value"),
        ({"value": "85"}, "grade.scale"),
        ({"scale": "percent", "value": "85", "weight": 1}, "grade.weight"),
        ("85", "grade"),
        (["percent", "85"], "grade"),
    ],
)
def test_bad_grades_name_the_nested_field(grade: Any, field: str) -> None:
    assert list(problems(changed(COURSE, grade=grade))) == [field]


def test_grade_reason_names_the_allowed_values() -> None:
    found = problems(changed(COURSE, grade={"scale": "five_level", "value": "差"}))
    assert all(word in found["grade.value"] for word in FIVE_LEVELS)


def test_bad_training_result_names_result() -> None:
    found = problems(changed(TRAINING, result={"scale": "ects", "value": "G"}))
    assert list(found) == ["result.value"]


@pytest.mark.parametrize("name", ["course_code", "title_zh", "programme"])
def test_text_lengths(name: str) -> None:
    limit = TEXT_LIMITS[name]
    parse_outcome(changed(COURSE, **{name: "码" * limit}), today=TODAY)
    assert problems(changed(COURSE, **{name: "码" * (limit + 1)})) == {
        name: f"at most {limit} characters"
    }
    assert problems(changed(COURSE, **{name: ""})) == {name: "must not be empty or blank"}
    assert problems(changed(COURSE, **{name: "  "})) == {name: "must not be empty or blank"}
    assert list(problems(changed(COURSE, **{name: 42}))) == [name]


def test_lone_surrogates_are_refused_before_they_reach_the_hash() -> None:
    # json.loads accepts "\ud800"; canonical_json could not encode it.
    item = json.loads(json.dumps(COURSE, ensure_ascii=False).replace("高等数学", "\\ud800"))
    assert item["title_zh"] == "\ud800"
    assert list(problems(item)) == ["title_zh"]


@pytest.mark.parametrize("code", ["cq-gz-001", "重庆职院", "A", "", 1])
def test_source_institution_is_a_code(code: Any) -> None:
    assert list(problems(changed(COURSE, source_institution=code))) == ["source_institution"]


@pytest.mark.parametrize(
    "term", ["2024-2026-1", "2024-2025-3", "2024-2025-4", "2024", "1900-1901-1", 2024, None]
)
def test_bad_term(term: Any) -> None:
    assert list(problems(changed(COURSE, term=term))) == ["term"]


@pytest.mark.parametrize("level", ["GAOZHI", "高职", "doctorate", None, "", 1])
def test_bad_level(level: Any) -> None:
    found = problems(changed(COURSE, level=level))
    assert list(found) == ["level"]


def test_bad_choice_lists_the_choices() -> None:
    found = problems(changed(COURSE, level="doctorate"))
    assert all(level.value in found["level"] for level in Level)


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
    on_the_day = changed(base, **{name: TODAY.isoformat()})
    assert parse_outcome(on_the_day, today=TODAY)
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
    outcome = parse_outcome(item, today=TODAY)
    assert isinstance(outcome, CertificateOutcome)
    assert outcome.expires_on == date(2099, 12, 31)


@pytest.mark.parametrize("expires_on", ["2024-06-01", "2024-05-31", "2000-01-01"])
def test_expiry_not_after_issue_is_rejected(expires_on: str) -> None:
    found = problems(changed(CERTIFICATE, expires_on=expires_on))
    assert found == {"expires_on": "must be after issued_on"}


def test_expiry_the_day_after_issue_is_accepted() -> None:
    parse_outcome(changed(CERTIFICATE, expires_on="2024-06-02"), today=TODAY)


def test_training_ending_before_it_started() -> None:
    found = problems(changed(TRAINING, started_on="2024-03-10", completed_on="2024-03-09"))
    assert found == {"completed_on": "must not be before started_on"}


@pytest.mark.parametrize(
    "day",
    [
        "2024-02-30",
        "2024/05/20",
        "20240520",
        "2024-W21-1",
        "2024-5-20",
        "2024-05-20T00:00",
        "２０２４-05-20",
        "yesterday",
        "",
        None,
        20240520,
    ],
)
def test_bad_dates(day: Any) -> None:
    assert list(problems(changed(AWARD, awarded_on=day))) == ["awarded_on"]
    assert list(problems(changed(CERTIFICATE, expires_on=day or "x"))) == ["expires_on"]


# --- certificates ---------------------------------------------------------------------------


@pytest.mark.parametrize("item", [without(CERTIFICATE, "level"), changed(CERTIFICATE, level=None)])
def test_one_plus_x_needs_a_level(item: dict[str, Any]) -> None:
    found = problems(item)
    assert list(found) == ["level"]
    assert "1+X" in found["level"]


@pytest.mark.parametrize("level", ["chuji", "zhongji", "gaoji"])
def test_one_plus_x_levels(level: str) -> None:
    outcome = parse_outcome(changed(CERTIFICATE, level=level), today=TODAY)
    assert isinstance(outcome, CertificateOutcome)
    assert outcome.level is CertificateLevel(level)


def test_bad_certificate_level_and_type() -> None:
    assert list(problems(changed(CERTIFICATE, level="expert"))) == ["level"]
    assert list(problems(changed(CERTIFICATE, certificate_type="diploma"))) == ["certificate_type"]


# --- shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(ALL))
def test_unknown_field_is_rejected(kind: str) -> None:
    assert problems(changed(ALL[kind], colour="red")) == {"colour": "Unknown field."}


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_missing_field_is_named(kind: str) -> None:
    base = ALL[kind]
    optional = {"title_en", "level", "expires_on", "track"} - (
        {"level"} if kind in ("course", "award") else set()
    )
    required = {name for name in base if name not in optional | {"kind"}}
    found = problems({"kind": kind})
    assert set(found) == required
    assert all(reason == "Missing data for required field." for reason in found.values())


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


def test_detail_says_which_item() -> None:
    with pytest.raises(InvalidInput, match=r"^item 4: hours"):
        parse_outcome(changed(COURSE, hours=-1), today=TODAY, index=4)


# --- batches --------------------------------------------------------------------------------


def test_a_good_batch_loads_in_order() -> None:
    items = [COURSE, CERTIFICATE, TRAINING, AWARD]
    loaded = parse_outcomes(items, today=TODAY)
    assert [o.to_payload() for o in loaded] == [
        parse_outcome(i, today=TODAY).to_payload() for i in items
    ]


def test_an_empty_batch_is_empty() -> None:
    assert parse_outcomes([], today=TODAY) == []


def test_a_batch_reports_every_bad_item() -> None:
    items = [
        COURSE,
        changed(COURSE, grade={"scale": "percent", "value": "100.1"}),
        CERTIFICATE,
        changed(CERTIFICATE, expires_on="2024-01-01", colour="red"),
        TRAINING,
        changed(AWARD, awarded_on=TOMORROW),
    ]
    with pytest.raises(InvalidInput) as exc:
        parse_outcomes(items, today=TODAY)
    found = {(p.index, p.field) for p in exc.value.problems}
    assert found == {
        (1, "grade.value"),
        (3, "colour"),
        (5, "awarded_on"),
    }
    assert exc.value.detail == "3 of 6 outcomes are invalid"


def test_a_batch_reports_cross_field_and_shape_problems_too() -> None:
    items = [
        changed(CERTIFICATE, expires_on="2024-01-01"),
        "not an object",
        {"kind": "diploma"},
        AWARD,
    ]
    with pytest.raises(InvalidInput) as exc:
        parse_outcomes(items, today=TODAY)
    assert [(p.index, p.field) for p in exc.value.problems] == [
        (0, "expires_on"),
        (1, "body"),
        (2, "kind"),
    ]


@pytest.mark.parametrize("items", [COURSE, "items", None])
def test_a_batch_must_be_a_list(items: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_outcomes(items, today=TODAY)
    assert [p.field for p in exc.value.problems] == ["body"]


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(courses() | st.just(changed(COURSE, hours=-1)), max_size=8))
def test_a_batch_names_exactly_the_bad_items(items: list[dict[str, Any]]) -> None:
    bad = {index for index, item in enumerate(items) if item["hours"] == -1}
    if not bad:
        assert len(parse_outcomes(items, today=TODAY)) == len(items)
        return
    with pytest.raises(InvalidInput) as exc:
        parse_outcomes(items, today=TODAY)
    assert {p.index for p in exc.value.problems} == bad
    assert {p.field for p in exc.value.problems} == {"hours"}


@settings(max_examples=300, deadline=None)
@given(outcome_items())
def test_a_valid_item_of_any_kind_reads_back_to_the_same_payload(item: dict[str, Any]) -> None:
    outcome = parse_outcome(item, today=TODAY)
    assert outcome.to_payload() == item  # canonical input comes back byte for byte
    for form in (outcome.to_payload(), json.loads(canonical_json(item))):
        assert parse_outcome(form, today=TODAY) == outcome


@settings(max_examples=200, deadline=None)
@given(respelled_courses())
def test_every_spelling_of_a_course_reads_as_one_outcome(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    canonical, other = pair
    assert parse_outcome(other, today=TODAY) == parse_outcome(canonical, today=TODAY)
    assert parse_outcome(other, today=TODAY).to_payload() == canonical


# --- the exact words of a problem document ---------------------------------------------------


def _refusal(item: Any) -> tuple[str, list[tuple[str, str]]]:
    with pytest.raises(InvalidInput) as exc:
        parse_outcome(item, today=TODAY, index=2)
    assert all(p.index == 2 for p in exc.value.problems)
    return exc.value.detail, [(p.field, p.reason) for p in exc.value.problems]


def test_fields_are_named_in_declared_order_then_unknown_ones() -> None:
    item = changed(
        COURSE,
        course_code=5,
        level="doctor",
        hours=64.0,
        credits=None,
        grade={"scale": 1},
        completed_on="2024-02-30",
        colour="red",
    )
    levels = "Must be one of: zhongzhi, putong_gaozhong, gaozhi, benke."
    assert _refusal(item) == (
        "item 2: course_code: Not a valid string.; level: "
        + levels
        + "; hours: Not a valid integer.; credits: Field may not be null.; "
        "grade.scale: Not a valid string.",
        [
            ("course_code", "Not a valid string."),
            ("level", levels),
            ("hours", "Not a valid integer."),
            ("credits", "Field may not be null."),
            ("grade.scale", "Not a valid string."),
            ("grade.value", "Missing data for required field."),
            ("completed_on", "Not a valid date."),
            ("colour", "Unknown field."),
        ],
    )


def test_a_grade_names_its_own_fields() -> None:
    assert _refusal(changed(TRAINING, result={"value": None, "weight": 1})) == (
        "item 2: result.scale: Missing data for required field.; "
        "result.value: Field may not be null.; result.weight: Unknown field.",
        [
            ("result.scale", "Missing data for required field."),
            ("result.value", "Field may not be null."),
            ("result.weight", "Unknown field."),
        ],
    )
    assert _refusal(changed(TRAINING, result={"scale": "ects", "value": "G"})) == (
        "item 2: result.value: must be one of A B C D E FX F",
        [("result.value", "must be one of A B C D E FX F")],
    )


def test_cross_field_problems_come_once_every_field_reads() -> None:
    item = changed(CERTIFICATE, level=None, expires_on="2024-01-01")
    assert _refusal(item) == (
        "item 2: level: a 1+X certificate needs its level (chuji, zhongji or gaoji); "
        "expires_on: must be after issued_on",
        [
            ("level", "a 1+X certificate needs its level (chuji, zhongji or gaoji)"),
            ("expires_on", "must be after issued_on"),
        ],
    )
    assert [field for field, _ in _refusal(changed(item, colour="red"))[1]] == ["colour"]


def test_each_kind_reads_the_fields_its_outcome_declares() -> None:
    for kind, declared in FIELDS.items():
        assert [f.name for f in declared] == [
            f.name for f in dataclasses.fields(OUTCOME_TYPES[kind])
        ]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["Cafe\u0301 实训", "A\u030a 课程", "\u1100\u1161 과정"]))
def test_text_is_stored_in_one_normal_form(title: str) -> None:
    item = {**COURSE, "title_zh": title}
    outcome = parse_outcome(item, today=TODAY)
    assert outcome.to_payload()["title_zh"] == unicodedata.normalize("NFC", title) != title
