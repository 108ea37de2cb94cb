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
    NUMERIC_SCALES,
    TWO_LEVELS,
    Grade,
    GradeScale,
    allowed_values,
    canonical_decimal,
    decimal_places,
    parse_grade,
)


def rejected(scale: str, value: str, field: str = "grade") -> tuple[str, str]:
    with pytest.raises(InvalidInput) as exc:
        parse_grade(scale, value, field)
    assert len(exc.value.problems) == 1
    problem = exc.value.problems[0]
    assert problem.index is None
    return problem.field, problem.reason


# --- 百分制 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical", "passed"),
    [
        ("60", "60", True),
        ("60.0", "60", True),
        ("59.9", "59.9", False),
        ("59", "59", False),
        ("100", "100", True),
        ("100.0", "100", True),
        ("100.00", "100", True),
        ("0", "0", False),
        ("0.0", "0", False),
        ("-0", "0", False),
        ("-0.0", "0", False),
        ("85.50", "85.5", True),
        ("85.5", "85.5", True),
        ("085", "85", True),
        (" 85 ", "85", True),
        ("\u300085\u3000", "85", True),
        ("1e1", "10", False),
        ("6E+1", "60", True),
        ("0.1", "0.1", False),
        ("+72", "72", True),
    ],
)
def test_percent(value: str, canonical: str, passed: bool) -> None:
    grade = parse_grade("percent", value)
    assert grade == Grade(GradeScale.PERCENT, canonical)
    assert grade.passed is passed
    assert grade.numeric() == Decimal(canonical)
    assert grade.to_payload() == {"scale": "percent", "value": canonical}


def test_percent_pass_mark_is_sixty() -> None:
    assert parse_grade("percent", "60").passed
    assert not parse_grade("percent", "59.9").passed


@pytest.mark.parametrize("value", ["100.1", "100.01", "101", "-0.1", "-1", "1e3", "1000"])
def test_percent_out_of_range(value: str) -> None:
    field, reason = rejected("percent", value)
    assert field == "grade.value"
    assert "between 0 and 100" in reason


@pytest.mark.parametrize(
    "value", ["85.55", "59.99", "0.01", "60.05", "85.500000000000000000000000000001"]
)
def test_percent_takes_one_decimal_place(value: str) -> None:
    assert rejected("percent", value) == ("grade.value", "at most 1 decimal place")


@pytest.mark.parametrize(
    "value",
    ["abc", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "", " ", "8 5", "8_5"],
)
def test_not_numbers_are_rejected(value: str) -> None:
    field, reason = rejected("percent", value)
    assert field == "grade.value"
    assert "not a number" in reason
    assert "from 0 to 100" in reason


@given(st.integers(0, 1000))
def test_every_one_place_percent_parses_to_its_value(tenths: int) -> None:
    number = Decimal(tenths) / 10
    grade = parse_grade("percent", f"{number:.1f}")
    assert Decimal(grade.value) == number
    assert grade.passed is (number >= 60)
    # The canonical value is fixed point with no trailing zeros, stable on re-parsing.
    assert "E" not in grade.value
    assert not ("." in grade.value and grade.value.endswith("0"))
    assert parse_grade("percent", grade.value) == grade
    assert parse_grade("percent", f"{number:.3f}") == grade


# --- 绩点 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "value", "canonical", "passed"),
    [
        ("gpa4", "1", "1", True),
        ("gpa4", "1.0", "1", True),
        ("gpa4", "0.99", "0.99", False),
        ("gpa4", "4.0", "4", True),
        ("gpa4", "3.75", "3.75", True),
        ("gpa4", "3.70", "3.7", True),
        ("gpa4", "0", "0", False),
        ("gpa5", "5", "5", True),
        ("gpa5", "4.5", "4.5", True),
        ("gpa5", "1.00", "1", True),
        ("gpa5", "0.5", "0.5", False),
    ],
)
def test_gpa(scale: str, value: str, canonical: str, passed: bool) -> None:
    grade = parse_grade(scale, value)
    assert grade == Grade(GradeScale(scale), canonical)
    assert grade.passed is passed
    assert grade.numeric() == Decimal(canonical)


@pytest.mark.parametrize(
    ("scale", "value", "says"),
    [
        ("gpa4", "4.01", "between 0 and 4"),
        ("gpa4", "5", "between 0 and 4"),
        ("gpa5", "5.01", "between 0 and 5"),
        ("gpa5", "-0.5", "between 0 and 5"),
        ("gpa4", "3.755", "at most 2 decimal places"),
        ("gpa4", "three", "not a number"),
    ],
)
def test_gpa_rejects(scale: str, value: str, says: str) -> None:
    field, reason = rejected(scale, value)
    assert field == "grade.value"
    assert says in reason


# --- 五级制 and 二级制 ----------------------------------------------------------------------


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
        ("\u3000良 ", "良好", True),
    ],
)
def test_five_level(value: str, word: str, passed: bool) -> None:
    grade = parse_grade("five_level", value)
    assert grade == Grade(GradeScale.FIVE_LEVEL, word)
    assert grade.passed is passed
    assert grade.numeric() is None


@pytest.mark.parametrize("value", ["差", "优良", "及", "A", "excellent", "", "85", "优 秀"])
def test_five_level_rejects(value: str) -> None:
    field, reason = rejected("five_level", value)
    assert field == "grade.value"
    assert all(level in reason for level in FIVE_LEVELS)
    assert "优 良 中" in reason


def test_two_level() -> None:
    assert parse_grade("two_level", "合格").passed is True
    assert parse_grade("two_level", "不合格").passed is False
    assert parse_grade("two_level", " 合格 ") == Grade(GradeScale.TWO_LEVEL, "合格")
    for bad in ("通过", "及格", "pass", "合", "优秀"):
        field, reason = rejected("two_level", bad)
        assert field == "grade.value"
        assert all(word in reason for word in TWO_LEVELS)


# --- letters and ECTS ------------------------------------------------------------------------


@pytest.mark.parametrize("letter", LETTERS)
def test_letters_in_either_case(letter: str) -> None:
    passes = LETTERS.index(letter) <= LETTERS.index("D")
    assert parse_grade("letter", letter) == Grade(GradeScale.LETTER, letter)
    assert parse_grade("letter", letter).passed is passes
    assert parse_grade("letter", letter.lower()) == Grade(GradeScale.LETTER, letter)


def test_letter_scale_and_pass_mark() -> None:
    assert LETTERS[0] == "A+"
    assert LETTERS[-2:] == ("D", "F")
    assert parse_grade("letter", "d").passed is True
    assert parse_grade("letter", "d+").passed is True
    assert parse_grade("letter", "f").passed is False
    assert parse_grade("letter", "a+").value == "A+"


@pytest.mark.parametrize("value", ["D-", "E", "A++", "G", "B +", "FX", "1", ""])
def test_letter_rejects(value: str) -> None:
    field, reason = rejected("letter", value)
    assert field == "grade.value"
    assert "A+" in reason
    assert "F" in reason


@pytest.mark.parametrize("grade", ECTS_GRADES)
def test_ects_in_either_case(grade: str) -> None:
    passes = grade not in ("FX", "F")
    assert parse_grade("ects", grade) == Grade(GradeScale.ECTS, grade)
    assert parse_grade("ects", grade).passed is passes
    assert parse_grade("ects", grade.lower()) == Grade(GradeScale.ECTS, grade)


def test_ects_pass_mark_is_e() -> None:
    assert parse_grade("ects", "Fx") == Grade(GradeScale.ECTS, "FX")
    assert parse_grade("ects", "e").passed is True
    assert parse_grade("ects", "fx").passed is False
    for bad in ("A+", "G", "FF", "X"):
        assert rejected("ects", bad)[0] == "grade.value"


# --- scales, construction, helpers ----------------------------------------------------------


@pytest.mark.parametrize("scale", ["", "Percent", "PERCENT", "hundred", "gpa", "百分制"])
def test_unknown_scale(scale: str) -> None:
    field, reason = rejected(scale, "85")
    assert field == "grade.scale"
    assert all(s.value in reason for s in GradeScale)


def test_the_field_prefix_is_used() -> None:
    assert rejected("percent", "abc", "result")[0] == "result.value"
    assert rejected("nope", "85", "result")[0] == "result.scale"
    assert rejected("percent", "abc", "items.3.grade")[0] == "items.3.grade.value"


def test_a_grade_is_built_only_from_its_canonical_value() -> None:
    assert Grade(GradeScale.PERCENT, "85.5").passed is True
    assert Grade(GradeScale.FIVE_LEVEL, "及格").passed is True
    for scale, value in [
        (GradeScale.PERCENT, "85.50"),
        (GradeScale.PERCENT, " 85"),
        (GradeScale.FIVE_LEVEL, "优"),
        (GradeScale.LETTER, "b+"),
    ]:
        with pytest.raises(InvalidInput, match="canonical"):
            Grade(scale, value)
    with pytest.raises(InvalidInput):
        Grade(GradeScale.PERCENT, "101")


def test_passed_is_derived_not_given() -> None:
    with pytest.raises(TypeError):
        Grade(GradeScale.PERCENT, "85", True)  # type: ignore[call-arg]


def test_grades_are_immutable_and_hashable() -> None:
    grade = parse_grade("percent", "85")
    with pytest.raises(AttributeError):
        grade.value = "90"  # type: ignore[misc]
    assert len({grade, parse_grade("percent", "85.0")}) == 1


@pytest.mark.parametrize("scale", list(GradeScale))
def test_every_scale_states_what_it_allows(scale: GradeScale) -> None:
    text = allowed_values(scale)
    if scale in NUMERIC_SCALES:
        assert f"to {NUMERIC_SCALES[scale].high}" in text
    else:
        assert text.startswith("one of")


@pytest.mark.parametrize(
    ("text", "places", "canonical"),
    [
        ("85.50", 1, "85.5"),
        ("85.55", 2, "85.55"),
        ("1E+1", 0, "10"),
        ("0.00", 0, "0"),
        ("0E-7", 0, "0"),
        ("-0", 0, "0"),
        ("5e-1", 1, "0.5"),
        ("100", 0, "100"),
    ],
)
def test_decimal_helpers(text: str, places: int, canonical: str) -> None:
    assert decimal_places(Decimal(text)) == places
    assert canonical_decimal(Decimal(text)) == canonical


def test_decimal_places_counts_past_28_digits() -> None:
    assert decimal_places(Decimal("85.500000000000000000000000000001")) == 30
    with pytest.raises(ValueError, match="finite"):
        decimal_places(Decimal("NaN"))
