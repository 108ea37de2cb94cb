"""Grades on their own scales: edges, canonical values and the pass marks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.errors import InvalidInput
from creditbank.records.grades import (
    ECTS_GRADES,
    FIVE_LEVELS,
    LETTERS,
    TWO_LEVELS,
    Grade,
    GradeScale,
    parse_grade,
)


def rejected(scale: str, value: str, field: str = "grade") -> tuple[str, str]:
    with pytest.raises(InvalidInput) as exc:
        parse_grade(scale, value, field)
    assert len(exc.value.problems) == 1
    problem = exc.value.problems[0]
    return problem.field, problem.reason


@pytest.mark.parametrize(
    ("value", "canonical", "passed"),
    [
        ("60", "60", True),
        ("59.99", "59.99", False),
        ("60.00", "60", True),
        ("59.9", "59.9", False),
        ("100", "100", True),
        ("100.00", "100", True),
        ("0", "0", False),
        ("0.00", "0", False),
        ("-0", "0", False),
        ("-0.00", "0", False),
        ("85.50", "85.5", True),
        ("85.5", "85.5", True),
        ("085", "85", True),
        (" 85 ", "85", True),
        ("1e1", "10", False),
        ("6E+1", "60", True),
        ("0.01", "0.01", False),
    ],
)
def test_percent(value: str, canonical: str, passed: bool) -> None:
    grade = parse_grade("percent", value)
    assert grade == Grade(GradeScale.PERCENT, canonical, passed)
    assert grade.numeric() == Decimal(canonical)
    assert grade.to_payload() == {"scale": "percent", "value": canonical}


@pytest.mark.parametrize("value", ["100.01", "101", "-0.01", "-1", "1e3", "1000"])
def test_percent_out_of_range(value: str) -> None:
    field, reason = rejected("percent", value)
    assert field == "grade.value"
    assert "between 0 and 100" in reason


@pytest.mark.parametrize("value", ["85.555", "59.999", "0.001", "100.000", "60.000"])
def test_three_decimals_are_rejected(value: str) -> None:
    assert rejected("percent", value) == ("grade.value", "at most two decimal places")


@pytest.mark.parametrize(
    "value", ["abc", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "", " ", "8 5"]
)
def test_not_numbers_are_rejected(value: str) -> None:
    field, _ = rejected("percent", value)
    assert field == "grade.value"


@pytest.mark.parametrize(
    ("scale", "value", "canonical", "passed"),
    [
        ("gpa4", "1", "1", True),
        ("gpa4", "0.99", "0.99", False),
        ("gpa4", "4.0", "4", True),
        ("gpa4", "3.70", "3.7", True),
        ("gpa4", "0", "0", False),
        ("gpa5", "5", "5", True),
        ("gpa5", "1.00", "1", True),
        ("gpa5", "0.5", "0.5", False),
    ],
)
def test_gpa(scale: str, value: str, canonical: str, passed: bool) -> None:
    assert parse_grade(scale, value) == Grade(GradeScale(scale), canonical, passed)


@pytest.mark.parametrize(
    ("scale", "value"), [("gpa4", "4.01"), ("gpa4", "5"), ("gpa5", "5.01"), ("gpa5", "-0.5")]
)
def test_gpa_out_of_range(scale: str, value: str) -> None:
    assert rejected(scale, value)[0] == "grade.value"


@given(st.integers(0, 10000))
def test_every_two_decimal_percent_parses_to_its_value(hundredths: int) -> None:
    number = Decimal(hundredths) / 100
    grade = parse_grade("percent", f"{number:.2f}")
    assert Decimal(grade.value) == number
    assert grade.passed is (number >= 60)
    # The canonical value is a fixed point with no trailing zeros, stable on re-parsing.
    assert "E" not in grade.value
    assert not (("." in grade.value) and grade.value.endswith("0"))
    assert parse_grade("percent", grade.value) == grade


@pytest.mark.parametrize(
    ("value", "word", "passed"),
    [
        ("优秀", "优秀", True),
        ("良好", "良好", True),
        ("中等", "中等", True),
        ("及格", "及格", True),
        ("不及格", "不及格", False),
        ("优", "优秀", True),
        ("良", "良好", True),
        ("中", "中等", True),
        (" 优秀\u3000", "优秀", True),
    ],
)
def test_five_level(value: str, word: str, passed: bool) -> None:
    grade = parse_grade("five_level", value)
    assert grade == Grade(GradeScale.FIVE_LEVEL, word, passed)
    assert grade.numeric() is None


@pytest.mark.parametrize("value", ["差", "优良", "A", "excellent", "", "85"])
def test_five_level_rejects(value: str) -> None:
    field, reason = rejected("five_level", value)
    assert field == "grade.value"
    assert all(level in reason for level in FIVE_LEVELS)


def test_two_level() -> None:
    assert parse_grade("two_level", "合格") == Grade(GradeScale.TWO_LEVEL, "合格", True)
    assert parse_grade("two_level", "不合格") == Grade(GradeScale.TWO_LEVEL, "不合格", False)
    for bad in ("通过", "及格", "pass", "合"):
        field, reason = rejected("two_level", bad)
        assert field == "grade.value"
        assert all(word in reason for word in TWO_LEVELS)


@pytest.mark.parametrize("letter", LETTERS)
def test_letters_in_either_case(letter: str) -> None:
    passes = LETTERS.index(letter) <= LETTERS.index("D")
    assert parse_grade("letter", letter) == Grade(GradeScale.LETTER, letter, passes)
    assert parse_grade("letter", letter.lower()) == Grade(GradeScale.LETTER, letter, passes)


def test_letter_pass_mark_is_d() -> None:
    assert parse_grade("letter", "d").passed is True
    assert parse_grade("letter", "d-").passed is False
    assert parse_grade("letter", "f").passed is False
    assert parse_grade("letter", "a+").value == "A+"


@pytest.mark.parametrize("value", ["E", "A++", "G", "B +", "FX", "1"])
def test_letter_rejects(value: str) -> None:
    assert rejected("letter", value)[0] == "grade.value"


@pytest.mark.parametrize("grade", ECTS_GRADES)
def test_ects_in_either_case(grade: str) -> None:
    passes = grade not in ("FX", "F")
    assert parse_grade("ects", grade) == Grade(GradeScale.ECTS, grade, passes)
    assert parse_grade("ects", grade.lower()) == Grade(GradeScale.ECTS, grade, passes)


def test_ects_mixed_case_and_rejects() -> None:
    assert parse_grade("ects", "Fx") == Grade(GradeScale.ECTS, "FX", False)
    assert parse_grade("ects", "e").passed is True
    for bad in ("A+", "G", "FF", "X"):
        assert rejected("ects", bad)[0] == "grade.value"


@pytest.mark.parametrize("scale", ["", "Percent", "PERCENT", "hundred", "gpa", "百分制"])
def test_unknown_scale(scale: str) -> None:
    field, reason = rejected(scale, "85")
    assert field == "grade.scale"
    assert all(s.value in reason for s in GradeScale)


def test_the_field_prefix_is_used() -> None:
    assert rejected("percent", "abc", "result")[0] == "result.value"
    assert rejected("nope", "85", "result")[0] == "result.scale"
    assert rejected("percent", "abc", "items.3.grade")[0] == "items.3.grade.value"
