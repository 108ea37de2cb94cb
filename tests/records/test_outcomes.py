"""The four outcome kinds as core values: their checks, payloads and dates (no marshmallow here).

The vocabulary the outcomes are made of (terms, ordered levels, labels) is checked at the end.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from creditbank.canonical import canonical_json
from creditbank.errors import InvalidInput
from creditbank.records.grades import Grade, GradeScale
from creditbank.records.outcomes import (
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    OUTCOME_TYPES,
    TEXT_LIMITS,
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    Outcome,
    TrainingOutcome,
    check_dates,
    date_problems,
)
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    InstitutionKind,
    Level,
    OutcomeKind,
    Region,
    Term,
    label,
    parse_term,
)

TODAY = date(2025, 6, 30)
TOMORROW = TODAY + timedelta(days=1)

COURSE = CourseOutcome(
    course_code="MATH101",
    title_zh="高等数学",
    title_en="Advanced Mathematics",
    source_institution="CQ-GZ-001",
    level=Level.GAOZHI,
    programme="计算机应用技术",
    term=Term(2024, 1),
    hours=64,
    credits=Decimal("3.5"),
    grade=Grade(GradeScale.PERCENT, "85.5"),
    completed_on=date(2025, 1, 15),
)
CERTIFICATE = CertificateOutcome(
    certificate_type=CertificateType.ONE_PLUS_X,
    title="Web 前端开发职业技能等级证书",
    level=CertificateLevel.ZHONGJI,
    certificate_number="WEB-2024-000123",
    awarding_organisation="北京新奥时代科技有限责任公司",
    issued_on=date(2024, 6, 1),
    expires_on=date(2028, 6, 1),
)
TRAINING = TrainingOutcome(
    provider="华为技术有限公司",
    title="HCIA-Datacom 培训",
    hours=40,
    result=Grade(GradeScale.TWO_LEVEL, "合格"),
    started_on=date(2024, 3, 1),
    completed_on=date(2024, 3, 10),
)
AWARD = AwardOutcome(
    competition="全国职业院校技能大赛",
    level=CompetitionLevel.NATIONAL,
    rank=AwardRank.FIRST_PRIZE,
    awarded_on=date(2024, 5, 20),
    track="网络系统管理",
)
ALL: list[Outcome] = [COURSE, CERTIFICATE, TRAINING, AWARD]


def refused(base: Outcome, **changes: Any) -> dict[str, str]:
    """The problems of ``base`` with ``changes``, field → reason."""
    with pytest.raises(InvalidInput) as exc:
        dataclasses.replace(base, **changes)
    assert exc.value.problems
    assert all(p.index is None for p in exc.value.problems)
    return {p.field: p.reason for p in exc.value.problems}


def replaced(base: Outcome, **changes: Any) -> Outcome:
    """``dataclasses.replace`` for an outcome of any kind."""
    new: Outcome = dataclasses.replace(base, **changes)
    return new


def plain_json(value: Any) -> bool:
    """Whether ``value`` is made only of exact JSON types (no enums, Decimals or dates)."""
    if isinstance(value, dict):
        return all(type(k) is str and plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_json(v) for v in value)
    return value is None or type(value) in (str, int, bool)


# --- payloads -------------------------------------------------------------------------------


def test_course_payload() -> None:
    assert COURSE.to_payload() == {
        "kind": "course",
        "course_code": "MATH101",
        "title_zh": "高等数学",
        "title_en": "Advanced Mathematics",
        "source_institution": "CQ-GZ-001",
        "level": "gaozhi",
        "programme": "计算机应用技术",
        "term": "2024-2025-1",
        "hours": 64,
        "credits": "3.5",
        "grade": {"scale": "percent", "value": "85.5"},
        "completed_on": "2025-01-15",
    }


def test_certificate_payload() -> None:
    assert CERTIFICATE.to_payload() == {
        "kind": "certificate",
        "certificate_type": "one_plus_x",
        "title": "Web 前端开发职业技能等级证书",
        "level": "zhongji",
        "certificate_number": "WEB-2024-000123",
        "awarding_organisation": "北京新奥时代科技有限责任公司",
        "issued_on": "2024-06-01",
        "expires_on": "2028-06-01",
    }


def test_training_payload() -> None:
    assert TRAINING.to_payload() == {
        "kind": "training",
        "provider": "华为技术有限公司",
        "title": "HCIA-Datacom 培训",
        "hours": 40,
        "result": {"scale": "two_level", "value": "合格"},
        "started_on": "2024-03-01",
        "completed_on": "2024-03-10",
    }


def test_award_payload() -> None:
    assert AWARD.to_payload() == {
        "kind": "award",
        "competition": "全国职业院校技能大赛",
        "level": "national",
        "rank": "first_prize",
        "awarded_on": "2024-05-20",
        "track": "网络系统管理",
    }


def test_absent_optional_fields_are_null_not_missing() -> None:
    course = dataclasses.replace(COURSE, title_en=None)
    assert course.to_payload()["title_en"] is None
    certificate = dataclasses.replace(
        CERTIFICATE,
        certificate_type=CertificateType.VOCATIONAL_QUALIFICATION,
        level=None,
        expires_on=None,
    )
    payload = certificate.to_payload()
    assert payload["level"] is None
    assert payload["expires_on"] is None
    assert dataclasses.replace(AWARD, track=None).to_payload()["track"] is None


@pytest.mark.parametrize("outcome", ALL, ids=lambda o: o.kind.value)
def test_payloads_are_plain_json_and_encode_canonically(outcome: Outcome) -> None:
    payload = outcome.to_payload()
    assert payload["kind"] == outcome.kind.value
    assert plain_json(payload)
    encoded = canonical_json(payload)
    assert json.loads(encoded) == payload
    assert canonical_json(outcome.to_payload()) == encoded


@pytest.mark.parametrize(
    ("written", "stored", "payload"),
    [
        (Decimal("4.0"), Decimal(4), "4"),
        (Decimal("4"), Decimal(4), "4"),
        (Decimal("1E+1"), Decimal(10), "10"),
        (Decimal("-0"), Decimal(0), "0"),
        (Decimal("0.50"), Decimal("0.5"), "0.5"),
        (Decimal("30.00"), Decimal(30), "30"),
    ],
)
def test_credits_are_stored_canonically(written: Decimal, stored: Decimal, payload: str) -> None:
    course = dataclasses.replace(COURSE, credits=written)
    assert str(course.credits) == str(stored)
    assert course.to_payload()["credits"] == payload
    assert canonical_json(course.to_payload()) == canonical_json(
        dataclasses.replace(COURSE, credits=stored).to_payload()
    )


def test_kinds_and_types() -> None:
    assert {kind: cls.kind for kind, cls in OUTCOME_TYPES.items()} == {
        kind: kind for kind in OutcomeKind
    }
    assert [type(o) for o in ALL] == [OUTCOME_TYPES[o.kind] for o in ALL]


@pytest.mark.parametrize("outcome", ALL, ids=lambda o: o.kind.value)
def test_outcomes_are_immutable(outcome: Outcome) -> None:
    first = dataclasses.fields(outcome)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(outcome, first, "changed")
    assert not hasattr(outcome, "__dict__")  # slots
    assert hash(outcome) == hash(dataclasses.replace(outcome))


# --- course bounds --------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, 1, MAX_COURSE_HOURS])
def test_course_hours_in_range(hours: int) -> None:
    assert dataclasses.replace(COURSE, hours=hours).hours == hours


@pytest.mark.parametrize("hours", [-1, MAX_COURSE_HOURS + 1, True, 64.0])
def test_course_hours_out_of_range(hours: Any) -> None:
    assert list(refused(COURSE, hours=hours)) == ["hours"]


@pytest.mark.parametrize("credits", ["0", "0.5", "29.9", "30", "30.0"])
def test_credits_in_range(credits: str) -> None:
    assert dataclasses.replace(COURSE, credits=Decimal(credits)).credits == Decimal(credits)


@pytest.mark.parametrize(
    ("credits", "says"),
    [
        ("30.1", "between 0 and 30"),
        ("31", "between 0 and 30"),
        ("-0.5", "between 0 and 30"),
        ("1.25", "one decimal place"),
        ("0.05", "one decimal place"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
    ],
)
def test_credits_out_of_range(credits: str, says: str) -> None:
    found = refused(COURSE, credits=Decimal(credits))
    assert list(found) == ["credits"]
    assert says in found["credits"]


def test_credits_must_be_a_decimal() -> None:
    assert list(refused(COURSE, credits=3.5)) == ["credits"]


@pytest.mark.parametrize("name", ["course_code", "title_zh", "title_en", "programme"])
def test_course_text_limits(name: str) -> None:
    limit = TEXT_LIMITS[name]
    at_limit: dict[str, Any] = {name: "码" * limit}
    assert getattr(dataclasses.replace(COURSE, **at_limit), name) == "码" * limit
    assert "at most" in refused(COURSE, **{name: "码" * (limit + 1)})[name]
    for blank in ("", " ", "\u3000"):
        assert refused(COURSE, **{name: blank}) == {name: "must not be empty or blank"}


@pytest.mark.parametrize("bad", ["a\nb", "tab\there", "\x00", "\x7f", "\x85", "\ud800"])
def test_text_refuses_controls_and_lone_surrogates(bad: str) -> None:
    assert list(refused(COURSE, title_zh=bad)) == ["title_zh"]
    assert list(refused(AWARD, track=bad)) == ["track"]


def test_text_keeps_what_was_written() -> None:
    # Titles are the institution's words: surrounding spaces and any script are kept as given.
    course = dataclasses.replace(COURSE, title_zh=" 工业机器人操作与运维（初级）Ⅰ ")
    assert course.title_zh == " 工业机器人操作与运维（初级）Ⅰ "


@pytest.mark.parametrize("code", ["CQ-GZ-001", "12500000MB1234567X", "AB"])
def test_source_institution_codes(code: str) -> None:
    assert dataclasses.replace(COURSE, source_institution=code).source_institution == code


@pytest.mark.parametrize("code", ["cq-gz-001", "-CQ", "A", "A" * 33, "重庆职院", "CQ GZ", ""])
def test_source_institution_must_be_a_code(code: str) -> None:
    found = refused(COURSE, source_institution=code)
    assert list(found) == ["source_institution"]
    assert "institution code" in found["source_institution"]


def test_every_bad_field_is_named_at_once() -> None:
    found = refused(COURSE, course_code="", hours=-1, credits=Decimal("1.25"), programme=" ")
    assert set(found) == {"course_code", "hours", "credits", "programme"}


# --- certificates, training, awards ---------------------------------------------------------


def test_one_plus_x_needs_a_level() -> None:
    found = refused(CERTIFICATE, level=None)
    assert list(found) == ["level"]
    assert "1+X" in found["level"]


@pytest.mark.parametrize(
    "certificate_type", [CertificateType.VOCATIONAL_QUALIFICATION, CertificateType.OTHER]
)
def test_other_certificates_may_omit_the_level(certificate_type: CertificateType) -> None:
    certificate = dataclasses.replace(CERTIFICATE, certificate_type=certificate_type, level=None)
    assert certificate.level is None


@pytest.mark.parametrize("expires_on", [date(2024, 6, 1), date(2024, 5, 31), date(2000, 1, 1)])
def test_expiry_must_follow_issue(expires_on: date) -> None:
    found = refused(CERTIFICATE, expires_on=expires_on)
    assert found == {"expires_on": "must be after issued_on"}


def test_expiry_the_day_after_issue_and_no_expiry() -> None:
    assert dataclasses.replace(CERTIFICATE, expires_on=date(2024, 6, 2))
    assert dataclasses.replace(CERTIFICATE, expires_on=None).expires_on is None


@pytest.mark.parametrize("name", ["title", "certificate_number", "awarding_organisation"])
def test_certificate_text(name: str) -> None:
    assert list(refused(CERTIFICATE, **{name: ""})) == [name]
    assert list(refused(CERTIFICATE, **{name: "x" * (TEXT_LIMITS[name] + 1)})) == [name]


@pytest.mark.parametrize("hours", [1, MAX_TRAINING_HOURS])
def test_training_hours_in_range(hours: int) -> None:
    assert dataclasses.replace(TRAINING, hours=hours).hours == hours


@pytest.mark.parametrize("hours", [0, -5, MAX_TRAINING_HOURS + 1, False])
def test_training_hours_out_of_range(hours: Any) -> None:
    assert list(refused(TRAINING, hours=hours)) == ["hours"]


def test_training_cannot_end_before_it_starts() -> None:
    found = refused(TRAINING, completed_on=date(2024, 2, 29))
    assert found == {"completed_on": "must not be before started_on"}
    one_day = dataclasses.replace(TRAINING, completed_on=TRAINING.started_on)
    assert one_day.completed_on == one_day.started_on


def test_award_text() -> None:
    assert list(refused(AWARD, competition="")) == ["competition"]
    assert list(refused(AWARD, track="")) == ["track"]
    assert dataclasses.replace(AWARD, track=None).track is None


@pytest.mark.parametrize("rank", list(AwardRank))
def test_every_award_rank(rank: AwardRank) -> None:
    assert dataclasses.replace(AWARD, rank=rank).to_payload()["rank"] == rank.value


# --- dates and today ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "name"),
    [
        (COURSE, "completed_on"),
        (CERTIFICATE, "issued_on"),
        (AWARD, "awarded_on"),
    ],
    ids=lambda value: getattr(value, "kind", value),
)
def test_future_dates_are_refused_by_name(outcome: Outcome, name: str) -> None:
    on_the_day = replaced(outcome, **{name: TODAY})
    check_dates(on_the_day, today=TODAY)
    future = replaced(outcome, **{name: TOMORROW})
    with pytest.raises(InvalidInput) as exc:
        check_dates(future, today=TODAY)
    [problem] = exc.value.problems
    assert problem.field == name
    assert TOMORROW.isoformat() in problem.reason
    assert "future" in problem.reason
    # The same value is fine once that day has come: today is a parameter, not the clock.
    check_dates(future, today=TOMORROW)


def test_future_training_names_both_dates() -> None:
    future = dataclasses.replace(TRAINING, started_on=TOMORROW, completed_on=TOMORROW)
    assert [p.field for p in date_problems(future, today=TODAY)] == ["started_on", "completed_on"]
    ends_tomorrow = dataclasses.replace(TRAINING, completed_on=TOMORROW)
    assert [p.field for p in date_problems(ends_tomorrow, today=TODAY)] == ["completed_on"]


def test_expiry_may_be_in_the_future() -> None:
    certificate = dataclasses.replace(CERTIFICATE, expires_on=date(2099, 12, 31))
    assert date_problems(certificate, today=TODAY) == []


@pytest.mark.parametrize("outcome", ALL, ids=lambda o: o.kind.value)
def test_past_outcomes_pass_the_date_check(outcome: Outcome) -> None:
    assert date_problems(outcome, today=TODAY) == []
    check_dates(outcome, today=TODAY)


# --- the vocabulary outcomes are made of ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "semester"),
    [("2024-2025-1", 2024, 1), ("2024-2025-2", 2024, 2), ("1950-1951-1", 1950, 1)],
)
def test_terms(text: str, start: int, semester: int) -> None:
    term = parse_term(text)
    assert term == Term(start, semester) == Term.parse(text)
    assert (term.start_year, term.end_year, term.semester) == (start, start + 1, semester)
    assert str(term) == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2024-2026-1", "consecutive"),
        ("2024-2025-4", "look like"),
        ("2024-2025-3", "look like"),  # no summer term: see Term's docstring
        ("2024-2025-0", "look like"),
        ("2024-2025-12", "look like"),
        ("2024-25-1", "look like"),
        ("2101-2102-1", "out of range"),
    ],
)
def test_bad_terms(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        Term.parse(text)
    [problem] = exc.value.problems
    assert problem.field == "term"
    assert says in problem.reason


@pytest.mark.parametrize(("start", "semester"), [(2024, 3), (2024, 0), (1949, 1), (2101, 2)])
def test_terms_check_themselves(start: int, semester: int) -> None:
    with pytest.raises(InvalidInput):
        Term(start, semester)


def test_certificate_levels_are_ordered() -> None:
    chuji, zhongji, gaoji = CertificateLevel.CHUJI, CertificateLevel.ZHONGJI, CertificateLevel.GAOJI
    assert chuji < zhongji < gaoji
    assert gaoji > chuji
    assert zhongji <= zhongji
    assert zhongji >= chuji
    # Alphabetically "gaoji" < "zhongji"; the ranks order them instead.
    assert sorted([zhongji, gaoji, chuji]) == [chuji, zhongji, gaoji]
    assert max(CertificateLevel) is gaoji
    assert gaoji.covers(zhongji)
    assert gaoji.covers(gaoji)
    assert not chuji.covers(zhongji)


def test_competition_levels_are_ordered() -> None:
    assert sorted(CompetitionLevel, reverse=True) == [
        CompetitionLevel.NATIONAL,
        CompetitionLevel.PROVINCIAL,
        CompetitionLevel.MUNICIPAL,
        CompetitionLevel.SCHOOL,
    ]
    assert CompetitionLevel.PROVINCIAL > CompetitionLevel.MUNICIPAL


@pytest.mark.parametrize("other", ["zhongji", CompetitionLevel.NATIONAL, 1])
def test_levels_do_not_order_against_other_things(other: Any) -> None:
    with pytest.raises(TypeError):
        operator.lt(CertificateLevel.CHUJI, other)
    with pytest.raises(TypeError):
        operator.gt(other, CertificateLevel.CHUJI)


def test_ordered_levels_still_equal_their_codes() -> None:
    code: str = "gaoji"
    assert code == CertificateLevel.GAOJI
    assert {CertificateLevel.GAOJI: 1}[CertificateLevel(code)] == 1
    by_code: dict[str, int] = {CertificateLevel.GAOJI: 1}
    assert by_code[code] == 1
    assert CertificateLevel("gaoji") is CertificateLevel.GAOJI


def test_new_vocabularies_and_their_labels() -> None:
    assert [kind.value for kind in InstitutionKind] == [
        "zhongzhi_school",
        "putong_gaozhong_school",
        "gaozhi_college",
        "university",
        "enterprise",
        "training_organisation",
        "evaluation_organisation",
    ]
    assert "培训评价组织" in InstitutionKind.EVALUATION_ORGANISATION.label()
    assert InstitutionKind.PUTONG_GAOZHONG_SCHOOL.label() == "普通高中"
    assert Region.CHONGQING.label() == "重庆"
    assert Region.SICHUAN.label("en") == "Sichuan"
    assert label(Region.CHONGQING, "en") == "Chongqing"
    for member in [*InstitutionKind, *Region]:
        assert member.label("zh") != member.label("en")
        assert member.label("en").isascii()


def test_a_shared_code_keeps_each_vocabularys_label() -> None:
    assert str(Region.OTHER) == str(CertificateType.OTHER) == "other"
    assert Region.OTHER.label() == "其他地区"
    assert CertificateType.OTHER.label() == "其他证书"


def test_labels_in_other_languages_are_refused() -> None:
    with pytest.raises(ValueError, match="zh"):
        Level.BENKE.label("fr")  # type: ignore[arg-type]
