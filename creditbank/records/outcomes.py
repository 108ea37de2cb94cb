"""The four kinds of learning outcome, as typed immutable values that check themselves.

Constructing an outcome checks every field that can be checked without knowing the date
(text lengths, 学时 and credit bounds, date order, a 1+X level) and raises InvalidInput
listing every bad field; :func:`check_dates` adds the one check that needs ``today``,
which is always a parameter (the core never reads the clock). The parser that reads an
outcome from JSON (:mod:`creditbank.records.parsing`) uses the same reasons, so a field is
refused with the same words whether it was read or constructed.

``to_payload`` gives the plain-JSON form committed in the log and disclosed in transcripts:
stable key names, every key always present (``null`` when absent), ISO dates, decimals as
canonical strings ("3.5", "4"), so equal facts commit equal bytes.

Bounds are ceilings against typing mistakes (an extra digit), not policy: a course has
0–2000 学时 and 0–30 credits in steps of 0.1 (a whole 3-year 高职 programme is about
2,400–2,800 学时 and 130–150 credits; 30 ECTS credits are a full semester's work), and 0
学时 is allowed for a course recognised by credits alone. Training runs 1–5000 hours (a
year of full-time work is about 2,000). Text fields have the lengths in ``TEXT_LIMITS``,
must not be blank and must not hold control characters; ``source_institution`` is an
institution code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.grades import Grade, canonical_decimal, decimal_places
from creditbank.records.vocabulary import (
    INSTITUTION_CODE,
    Attempt,
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Term,
)
from creditbank.text import line_policy

MAX_COURSE_HOURS = 2000
MAX_COURSE_CREDITS = Decimal(30)
CREDIT_PLACES = 1
MIN_TRAINING_HOURS = 1
MAX_TRAINING_HOURS = 5000

# Longest text each field takes, in characters.
TEXT_LIMITS: dict[str, int] = {
    "course_code": 40,
    "title_zh": 200,
    "title_en": 200,
    "programme": 100,
    "title": 200,
    "certificate_number": 64,
    "awarding_organisation": 200,
    "provider": 200,
    "competition": 200,
    "track": 200,
}


def text_problem(value: object, limit: int) -> str | None:
    """Why ``value`` is not acceptable one-line text of at most ``limit`` characters, or None."""
    return line_policy(limit).problem(value)


def institution_code_problem(value: object) -> str | None:
    """Why ``value`` is not an institution code, or None."""
    if not isinstance(value, str) or INSTITUTION_CODE.fullmatch(value) is None:
        return "must be an institution code: 2-32 of A-Z, 0-9 and '-', starting alphanumeric"
    return None


def hours_problem(hours: object, low: int, high: int) -> str | None:
    """Why ``hours`` is not a whole number from ``low`` to ``high``, or None."""
    # bool is an int subclass; True hours is a bug upstream, never one hour.
    if isinstance(hours, bool) or not isinstance(hours, int):
        return "must be a whole number"
    if not low <= hours <= high:
        return f"must be between {low} and {high}"
    return None


def credits_problem(credits: object) -> str | None:
    """Why ``credits`` is not 0–30 in steps of 0.1, or None."""
    if not isinstance(credits, Decimal):
        return "must be a decimal number"
    if not credits.is_finite():
        return "must be a finite number"
    if decimal_places(credits) > CREDIT_PLACES:
        return "at most one decimal place"
    if not 0 <= credits <= MAX_COURSE_CREDITS:
        return f"must be between 0 and {MAX_COURSE_CREDITS}"
    return None


def future_problem(day: date, today: date) -> str | None:
    """Why ``day`` cannot be an outcome's date as of ``today``, or None."""
    if day > today:
        return f"{day.isoformat()} is in the future (today is {today.isoformat()})"
    return None


class _Problems:
    """Collects every bad field of one value, so one error names them all."""

    def __init__(self) -> None:
        self.found: list[FieldProblem] = []

    def add(self, field: str, reason: str | None) -> None:
        if reason is not None:
            self.found.append(FieldProblem(field, reason))

    def text(self, field: str, value: str | None, *, optional: bool = False) -> None:
        if value is None and optional:
            return
        self.add(field, text_problem(value, TEXT_LIMITS[field]))

    def raise_if_any(self, what: str) -> None:
        if self.found:
            summary = "; ".join(f"{p.field}: {p.reason}" for p in self.found[:5])
            raise InvalidInput(f"invalid {what}: {summary}", problems=self.found)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(frozen=True, slots=True)
class CourseOutcome:
    """A course taken at an institution: 学时, credits, grade, term.

    ``credits`` is stored canonically (``Decimal("4.0")`` becomes ``Decimal("4")``) so that
    equal credits give equal payload bytes however they were written. ``attempt`` says a
    grade comes from a 补考 (make-up exam, under the original term); the payload names it
    only then, so a regular course commits the bytes it committed before the field existed.
    """

    kind: ClassVar[OutcomeKind] = OutcomeKind.COURSE
    date_fields: ClassVar[tuple[str, ...]] = ("completed_on",)
    course_code: str
    title_zh: str
    title_en: str | None
    source_institution: str
    level: Level
    programme: str
    term: Term
    hours: int
    credits: Decimal
    grade: Grade
    completed_on: date
    attempt: Attempt = Attempt.REGULAR

    def __post_init__(self) -> None:
        check = _Problems()
        check.text("course_code", self.course_code)
        check.text("title_zh", self.title_zh)
        check.text("title_en", self.title_en, optional=True)
        check.add("source_institution", institution_code_problem(self.source_institution))
        check.text("programme", self.programme)
        check.add("hours", hours_problem(self.hours, 0, MAX_COURSE_HOURS))
        check.add("credits", credits_problem(self.credits))
        check.raise_if_any("course")
        object.__setattr__(self, "credits", Decimal(canonical_decimal(self.credits)))

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "course_code": self.course_code,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "source_institution": self.source_institution,
            "level": self.level.value,
            "programme": self.programme,
            "term": str(self.term),
            "hours": self.hours,
            "credits": canonical_decimal(self.credits),
            "grade": self.grade.to_payload(),
            "completed_on": self.completed_on.isoformat(),
            **({} if self.attempt is Attempt.REGULAR else {"attempt": self.attempt.value}),
        }


@dataclass(frozen=True, slots=True)
class CertificateOutcome:
    """A certificate: 1+X 职业技能等级证书 (which must state its level) or another."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.CERTIFICATE
    date_fields: ClassVar[tuple[str, ...]] = ("issued_on",)  # expiry is rightly in the future
    certificate_type: CertificateType
    title: str
    level: CertificateLevel | None
    certificate_number: str
    awarding_organisation: str
    issued_on: date
    expires_on: date | None

    def __post_init__(self) -> None:
        check = _Problems()
        check.text("title", self.title)
        check.text("certificate_number", self.certificate_number)
        check.text("awarding_organisation", self.awarding_organisation)
        if self.certificate_type is CertificateType.ONE_PLUS_X and self.level is None:
            check.add("level", "a 1+X certificate needs its level (chuji, zhongji or gaoji)")
        if self.expires_on is not None and self.expires_on <= self.issued_on:
            check.add("expires_on", "must be after issued_on")
        check.raise_if_any("certificate")

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "certificate_type": self.certificate_type.value,
            "title": self.title,
            "level": None if self.level is None else self.level.value,
            "certificate_number": self.certificate_number,
            "awarding_organisation": self.awarding_organisation,
            "issued_on": self.issued_on.isoformat(),
            "expires_on": _iso(self.expires_on),
        }


@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    """Enterprise or organisation training: hours and the assessment result."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.TRAINING
    date_fields: ClassVar[tuple[str, ...]] = ("started_on", "completed_on")
    provider: str
    title: str
    hours: int
    result: Grade
    started_on: date
    completed_on: date

    def __post_init__(self) -> None:
        check = _Problems()
        check.text("provider", self.provider)
        check.text("title", self.title)
        check.add("hours", hours_problem(self.hours, MIN_TRAINING_HOURS, MAX_TRAINING_HOURS))
        if self.completed_on < self.started_on:
            check.add("completed_on", "must not be before started_on")
        check.raise_if_any("training")

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "provider": self.provider,
            "title": self.title,
            "hours": self.hours,
            "result": self.result.to_payload(),
            "started_on": self.started_on.isoformat(),
            "completed_on": self.completed_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AwardOutcome:
    """A skills-competition award (技能大赛), with its event or track when it has them."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.AWARD
    date_fields: ClassVar[tuple[str, ...]] = ("awarded_on",)
    competition: str
    level: CompetitionLevel
    rank: AwardRank
    awarded_on: date
    track: str | None

    def __post_init__(self) -> None:
        check = _Problems()
        check.text("competition", self.competition)
        check.text("track", self.track, optional=True)
        check.raise_if_any("award")

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "competition": self.competition,
            "level": self.level.value,
            "rank": self.rank.value,
            "awarded_on": self.awarded_on.isoformat(),
            "track": self.track,
        }


Outcome = CourseOutcome | CertificateOutcome | TrainingOutcome | AwardOutcome
OUTCOME_TYPES: dict[OutcomeKind, type[Outcome]] = {
    OutcomeKind.COURSE: CourseOutcome,
    OutcomeKind.CERTIFICATE: CertificateOutcome,
    OutcomeKind.TRAINING: TrainingOutcome,
    OutcomeKind.AWARD: AwardOutcome,
}


def _dates(outcome: Outcome) -> Iterator[tuple[str, date]]:
    for name in outcome.date_fields:
        yield name, getattr(outcome, name)


def date_problems(outcome: Outcome, *, today: date) -> list[FieldProblem]:
    """The outcome's dates that lie after ``today`` (an outcome is recorded once earned)."""
    found: list[FieldProblem] = []
    for name, day in _dates(outcome):
        reason = future_problem(day, today)
        if reason is not None:
            found.append(FieldProblem(name, reason))
    return found


def check_dates(outcome: Outcome, *, today: date) -> None:
    """Raise InvalidInput naming every date of ``outcome`` after ``today``."""
    found = date_problems(outcome, today=today)
    if found:
        summary = "; ".join(f"{p.field}: {p.reason}" for p in found)
        raise InvalidInput(f"invalid {outcome.kind.value}: {summary}", problems=found)
