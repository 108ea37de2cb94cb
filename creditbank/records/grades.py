"""Grade scales seen on Chinese and partners' transcripts, each with its own pass mark.

Conversion between scales is policy data (see ``policies/``), not code: here a grade is only
checked against its own scale, written one canonical way, and told whether it passes there.

Pass marks: 百分制 ≥ 60; 五级制 及格 and above; 二级制 合格; 绩点 (gpa4, gpa5) ≥ 1.0, the
common convention (GP = score / 10 − 5 puts a score of 60 at 1.0); 10-point scales (越南,
印尼 and other partners) ≥ 5, which a policy may convert otherwise; letter grades D and above;
ECTS A–E (FX and F fail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from creditbank.errors import FieldProblem, InvalidInput


class GradeScale(StrEnum):
    """The grade scales a record may use."""

    PERCENT = "percent"  # 百分制
    FIVE_LEVEL = "five_level"  # 五级制
    TWO_LEVEL = "two_level"  # 二级制
    GPA4 = "gpa4"  # 绩点, 4-point
    GPA5 = "gpa5"  # 绩点, 5-point
    LETTER = "letter"
    ECTS = "ects"
    TEN_POINT = "ten_point"  # 10-point scales of partner countries (pass mark 5)


# Word scales, best first; the passing words are a prefix of each tuple.
FIVE_LEVELS = ("优秀", "良好", "中等", "及格", "不及格")
TWO_LEVELS = ("合格", "不合格")
# No D-: with the pass mark at D a D- would be a failing D, which no partner means by it.
LETTERS = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F")
ECTS_GRADES = ("A", "B", "C", "D", "E", "FX", "F")
# Transcripts often abbreviate the top three words; 及格 and 不及格 have no short form.
FIVE_LEVEL_SHORT = {"优": "优秀", "良": "良好", "中": "中等"}


@dataclass(frozen=True, slots=True)
class NumericScale:
    """A scale of numbers: its range, how many decimal places, and the pass mark."""

    low: Decimal
    high: Decimal
    places: int
    pass_mark: Decimal


@dataclass(frozen=True, slots=True)
class WordScale:
    """A scale of words or letters, best first, and how many of them pass."""

    words: tuple[str, ...]
    passing: int


# 百分制 takes one decimal place (85.5 from a weighted average); 绩点 take two (3.75).
NUMERIC_SCALES: dict[GradeScale, NumericScale] = {
    GradeScale.PERCENT: NumericScale(Decimal(0), Decimal(100), 1, Decimal(60)),
    GradeScale.GPA4: NumericScale(Decimal(0), Decimal(4), 2, Decimal(1)),
    GradeScale.GPA5: NumericScale(Decimal(0), Decimal(5), 2, Decimal(1)),
    GradeScale.TEN_POINT: NumericScale(Decimal(0), Decimal(10), 2, Decimal(5)),
}
WORD_SCALES: dict[GradeScale, WordScale] = {
    GradeScale.FIVE_LEVEL: WordScale(FIVE_LEVELS, 4),
    GradeScale.TWO_LEVEL: WordScale(TWO_LEVELS, 1),
    GradeScale.LETTER: WordScale(LETTERS, LETTERS.index("D") + 1),
    GradeScale.ECTS: WordScale(ECTS_GRADES, ECTS_GRADES.index("E") + 1),
}


def allowed_values(scale: GradeScale) -> str:
    """A readable statement of what ``scale`` accepts (used in error reasons)."""
    if scale in NUMERIC_SCALES:
        numeric = NUMERIC_SCALES[scale]
        return (
            f"a number from {numeric.low} to {numeric.high} "
            f"with at most {numeric.places} decimal place{'s' if numeric.places > 1 else ''}"
        )
    words = " ".join(WORD_SCALES[scale].words)
    if scale is GradeScale.FIVE_LEVEL:
        return f"one of {words} (or 优 良 中)"
    return f"one of {words}"


def canonical_decimal(number: Decimal) -> str:
    """Fixed-point text with no exponent and no trailing zeros: 85.50 → 85.5, -0 → 0, 1E+1 → 10."""
    # normalize() drops trailing zeros but may write 1E+1; "+ 0" turns -0 into 0.
    return format(number.normalize() + 0, "f")


def decimal_places(number: Decimal) -> int:
    """How many decimal places a finite ``number`` needs: 85.50 needs 1, 1E+1 and 0.00 need 0."""
    # Counted on the digits, not through normalize(), which rounds to 28 significant digits
    # and would let 85.500000000000000000000000000001 pass as 85.5.
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{number} is not finite")
    written = "".join(map(str, digits))
    significant = written.rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(written) - len(significant)))


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade on its scale, its value written canonically, and whether it passes there.

    ``passed`` is derived, never given; constructing a Grade with a value that is not the
    canonical spelling on its scale raises InvalidInput (use :func:`parse_grade` for input).
    """

    scale: GradeScale
    value: str
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        canonical, passed = _judge(self.scale, self.value, "grade")
        if canonical != self.value:
            reason = f"{self.value!r} is not written canonically (write {canonical!r})"
            raise InvalidInput(f"grade.value: {reason}", problems=[_problem("grade.value", reason)])
        object.__setattr__(self, "passed", passed)

    def numeric(self) -> Decimal | None:
        """The number, for numeric scales (百分制, 绩点); None for scales of words or letters."""
        return Decimal(self.value) if self.scale in NUMERIC_SCALES else None

    def to_payload(self) -> dict[str, str]:
        """The JSON form committed in the log."""
        return {"scale": self.scale.value, "value": self.value}


def _problem(field: str, reason: str) -> FieldProblem:
    return FieldProblem(field, reason)


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", problems=[_problem(field, reason)])


def _judge(scale: GradeScale, text: str, field: str) -> tuple[str, bool]:
    """The canonical spelling of ``text`` on ``scale`` and whether it passes."""
    if scale in NUMERIC_SCALES:
        numeric = NUMERIC_SCALES[scale]
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        # Decimal() also reads "NaN", "Infinity" and "1_0"; only plain finite numbers pass.
        if not number.is_finite() or "_" in text:
            raise _bad(f"{field}.value", f"{text!r} is not a number; {allowed_values(scale)}")
        if not numeric.low <= number <= numeric.high:
            raise _bad(f"{field}.value", f"must be between {numeric.low} and {numeric.high}")
        if decimal_places(number) > numeric.places:
            places = "place" if numeric.places == 1 else "places"
            raise _bad(f"{field}.value", f"at most {numeric.places} decimal {places}")
        return canonical_decimal(number), number >= numeric.pass_mark
    words = WORD_SCALES[scale]
    word = text if scale is GradeScale.FIVE_LEVEL else text.upper()
    if scale is GradeScale.FIVE_LEVEL:
        word = FIVE_LEVEL_SHORT.get(word, word)
    if word not in words.words:
        raise _bad(f"{field}.value", f"must be {allowed_values(scale)}")
    return word, words.words.index(word) < words.passing


def parse_grade(scale: str, value: str, field: str = "grade") -> Grade:
    """Read ``value`` on ``scale`` leniently (spaces, case, short forms); errors say what fits."""
    try:
        grade_scale = GradeScale(scale)
    except ValueError:
        allowed = ", ".join(s.value for s in GradeScale)
        raise _bad(f"{field}.scale", f"unknown scale {scale!r}; one of {allowed}") from None
    # strip() also removes the ideographic space U+3000 that Chinese spreadsheets leave behind.
    canonical, _ = _judge(grade_scale, value.strip(), field)
    return Grade(grade_scale, canonical)
