"""Grade scales seen on Chinese and partners' transcripts, each with its own pass mark.

Conversion between scales is policy data (see ``policies/``); here a grade is only checked
against its own scale and remembers the scale and the value it was given in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from creditbank.errors import FieldProblem, InvalidInput


class GradeScale(StrEnum):
    """The grade scales a record may use."""

    PERCENT = "percent"  # 百分制 0–100, pass ≥ 60
    FIVE_LEVEL = "five_level"  # 五级制 优秀 良好 中等 及格 不及格
    TWO_LEVEL = "two_level"  # 二级制 合格 / 不合格
    GPA4 = "gpa4"  # 绩点 0.0–4.0, pass ≥ 1.0 (the usual convention)
    GPA5 = "gpa5"  # 绩点 0.0–5.0, pass ≥ 1.0
    LETTER = "letter"  # A+ … F, pass ≥ D
    ECTS = "ects"  # A–E pass, FX and F fail


FIVE_LEVELS = ("优秀", "良好", "中等", "及格", "不及格")
_FIVE_SHORT = {"优": "优秀", "良": "良好", "中": "中等"}
TWO_LEVELS = ("合格", "不合格")
LETTERS = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
ECTS_GRADES = ("A", "B", "C", "D", "E", "FX", "F")
_NUMERIC = {
    GradeScale.PERCENT: (Decimal(0), Decimal(100), Decimal(60)),
    GradeScale.GPA4: (Decimal(0), Decimal(4), Decimal(1)),
    GradeScale.GPA5: (Decimal(0), Decimal(5), Decimal(1)),
}
_WORDS = {
    GradeScale.FIVE_LEVEL: (FIVE_LEVELS, FIVE_LEVELS[:4]),
    GradeScale.TWO_LEVEL: (TWO_LEVELS, TWO_LEVELS[:1]),
    GradeScale.LETTER: (LETTERS, LETTERS[: LETTERS.index("D") + 1]),
    GradeScale.ECTS: (ECTS_GRADES, ECTS_GRADES[:5]),
}


@dataclass(frozen=True)
class Grade:
    """A grade on its scale, its value written canonically, and whether it passes."""

    scale: GradeScale
    value: str
    passed: bool

    def numeric(self) -> Decimal | None:
        """The number, for numeric scales; None for scales of words or letters."""
        return Decimal(self.value) if self.scale in _NUMERIC else None

    def to_payload(self) -> dict[str, str]:
        """The JSON form committed in the log."""
        return {"scale": self.scale.value, "value": self.value}


def _bad(reason: str, field: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", problems=[FieldProblem(field, reason)])


def parse_grade(scale: str, value: str, field: str = "grade") -> Grade:
    """Check ``value`` against ``scale``; InvalidInput names the allowed values."""
    try:
        grade_scale = GradeScale(scale)
    except ValueError:
        allowed = ", ".join(s.value for s in GradeScale)
        raise _bad(f"unknown scale {scale!r}; one of {allowed}", f"{field}.scale") from None
    text = value.strip()
    if grade_scale in _NUMERIC:
        low, high, pass_mark = _NUMERIC[grade_scale]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _bad(f"{value!r} is not a number", f"{field}.value") from None
        if not number.is_finite() or not low <= number <= high:
            raise _bad(f"must be between {low} and {high} on {grade_scale.value}", f"{field}.value")
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            raise _bad("at most two decimal places", f"{field}.value")
        canonical = format(number.normalize() + 0, "f")  # "85.50" -> "85.5", "-0" -> "0"
        return Grade(grade_scale, canonical, number >= pass_mark)
    allowed_words, passing = _WORDS[grade_scale]
    word = _FIVE_SHORT.get(text, text) if grade_scale is GradeScale.FIVE_LEVEL else text.upper()
    if word not in allowed_words:
        raise _bad(f"must be one of {' '.join(allowed_words)}", f"{field}.value")
    return Grade(grade_scale, word, word in passing)
