"""A conversion policy as typed, immutable values (built by ``loader.py`` from TOML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from creditbank.records.grades import GradeScale
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CompetitionLevel,
    Level,
    OutcomeKind,
)


class Category(StrEnum):
    """Course categories of a 培养方案."""

    GENERAL = "公共基础"
    CORE = "专业核心"
    ELECTIVE = "专业选修"
    PRACTICE = "实践"


@dataclass(frozen=True)
class TargetCourse:
    """A course of the target programme."""

    code: str
    title_zh: str
    title_en: str
    credits: Decimal
    category: Category


@dataclass(frozen=True)
class Programme:
    """The receiving programme (培养方案)."""

    code: str
    title_zh: str
    title_en: str
    institution: str
    total_credits: Decimal
    residency_credits: Decimal
    courses: tuple[TargetCourse, ...]

    def course(self, code: str) -> TargetCourse:
        """The course with ``code`` (the loader checked that it exists)."""
        return self._by_code[code]

    @cached_property
    def _by_code(self) -> dict[str, TargetCourse]:
        return {course.code: course for course in self.courses}


@dataclass(frozen=True)
class GradeTable:
    """How one scale converts to the policy's 0–100 comparison scale."""

    scale: GradeScale
    words: tuple[tuple[str, Decimal], ...] = ()  # for word and letter scales
    multiply: Decimal | None = None  # for numeric scales: value × multiply + add
    add: Decimal = Decimal(0)


@dataclass(frozen=True)
class SourceMatch:
    """What a source course must be: a code, or a title (compared after normalisation)."""

    code: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class CourseRule:
    """Course equivalence: all ``sources`` (a bundle when several) fill all ``targets``."""

    id: str
    sources: tuple[SourceMatch, ...]
    targets: tuple[str, ...]
    min_grade: Decimal | None = None
    kind: OutcomeKind = OutcomeKind.COURSE


@dataclass(frozen=True)
class CertificateRule:
    """A certificate of ``title`` at ``min_level`` or above exempts ``targets`` or gives credits."""

    id: str
    title: str
    min_level: CertificateLevel | None
    targets: tuple[str, ...]
    credits: Decimal | None = None  # None: exemption (免修免考) worth the targets' credits
    kind: OutcomeKind = OutcomeKind.CERTIFICATE


@dataclass(frozen=True)
class TrainingRule:
    """Training hours become credits at ``hours_per_credit``, rounded down to ``step``."""

    id: str
    title_contains: str | None
    hours_per_credit: Decimal
    step: Decimal
    max_credits: Decimal
    targets: tuple[str, ...]
    min_grade: Decimal | None = None
    kind: OutcomeKind = OutcomeKind.TRAINING


@dataclass(frozen=True)
class AwardRule:
    """A competition award at ``min_level`` or above with one of ``ranks`` gives credits."""

    id: str
    min_level: CompetitionLevel
    ranks: tuple[AwardRank, ...]
    credits: Decimal
    targets: tuple[str, ...]
    kind: OutcomeKind = OutcomeKind.AWARD


Rule = CourseRule | CertificateRule | TrainingRule | AwardRule


@dataclass(frozen=True)
class Caps:
    """Limits on what a whole evaluation may recognise (None: no limit)."""

    total_credits: Decimal | None = None
    per_kind: tuple[tuple[OutcomeKind, Decimal], ...] = ()
    per_institution: Decimal | None = None
    per_academic_year: Decimal | None = None
    certificates: int | None = None


@dataclass(frozen=True)
class Policy:
    """One conversion policy for one target programme and pathway."""

    id: str
    version: str
    title_zh: str
    title_en: str
    pathway: str
    source_levels: tuple[Level, ...]
    target_level: Level
    effective_from: date
    effective_until: date | None
    programme: Programme
    rules: tuple[Rule, ...]
    caps: Caps
    grade_tables: tuple[GradeTable, ...]
    min_grade: tuple[tuple[OutcomeKind, Decimal], ...]
    max_outcome_age_years: int | None = None
    regions: tuple[str, ...] = ()  # accepted source regions; empty: any
    institutions: tuple[str, ...] = ()  # accepted source institutions; empty: any
    catch_all: str | None = None  # a target elective that takes excess course credits
    content_hash: str = field(default="", compare=False)
