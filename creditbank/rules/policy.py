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
    """A course of the target programme (``hours``: its 学时, for rules comparing hours)."""

    code: str
    title_zh: str
    title_en: str
    credits: Decimal
    category: Category
    hours: int | None = None


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
    """How one scale (of one institution, when named) converts to the 0–100 comparison scale.

    Word scales map each word; numeric scales map by ``bands`` (the value at or above each
    lower bound, highest bound first) or linearly (value × multiply + add).
    """

    scale: GradeScale
    words: tuple[tuple[str, Decimal], ...] = ()
    multiply: Decimal | None = None
    add: Decimal = Decimal(0)
    bands: tuple[tuple[Decimal, Decimal], ...] = ()
    institution: str | None = None


class RoundingMode(StrEnum):
    """How a converted grade is rounded before it is compared (59.5 → 60 with half_up)."""

    HALF_UP = "half_up"
    DOWN = "down"


@dataclass(frozen=True)
class Rounding:
    """The policy's rounding of converted grades: decimal places and mode."""

    places: int
    mode: RoundingMode


@dataclass(frozen=True)
class Makeup:
    """How a course passed at a 补考 (make-up exam) counts.

    ``accepted`` False: a 补考 pass is recognised for nothing (``makeup`` reason).
    ``grade``: a passed 补考 counts as this grade on the 0–100 scale whatever its score
    (the common 补考及格记 60 分), for minimum grades and recorded grades alike; a failed
    one keeps its score. ``record_as``: how a course recognised from a 补考 is recorded,
    before the rule's or the policy's ``record_as`` (e.g. 及格, never 优秀).
    """

    accepted: bool = True
    grade: Decimal | None = None
    record_as: str | None = None


@dataclass(frozen=True)
class Ladder:
    """An ordered ladder of levels for graded credentials, lowest first.

    A certificate's level is its record's level code, or else a step's name or alias found
    in its title; the title without that text is the certificate's own title, so the same
    certificate at two levels is recognised as one.
    """

    id: str
    steps: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()  # (alias, step), record codes included

    def rank(self, step: str) -> int:
        """0 for the lowest step."""
        return self.steps.index(step)


ONE_PLUS_X = Ladder(
    "one_plus_x",
    ("chuji", "zhongji", "gaoji"),
    (("初级", "chuji"), ("中级", "zhongji"), ("高级", "gaoji")),
)
"""The 1+X ladder every policy has: record levels chuji < zhongji < gaoji."""


@dataclass(frozen=True)
class Agreement:
    """A partner agreement: its institutions, and the dates between which it is in effect."""

    id: str
    institutions: tuple[str, ...]
    starts: date
    ends: date | None


@dataclass(frozen=True)
class Scope:
    """Conditions of one rule on where and when an outcome was earned (empty: any)."""

    regions: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    agreements: tuple[str, ...] = ()
    max_age_years: int | None = None


NO_SCOPE = Scope()
"""The scope of a rule that states none (shared, so the engine can skip it by identity)."""


class Combine(StrEnum):
    """How part-credits toward one course combine."""

    SUM = "sum"  # every part adds
    SUM_DISTINCT = "sum_distinct"  # parts with the same title count once (the largest)


class Below(StrEnum):
    """What parts that do not reach the fill threshold give."""

    NOTHING = "nothing"
    PROPORTIONAL = "proportional"  # the course's credits × parts / threshold, by step


@dataclass(frozen=True)
class Accumulate:
    """Parts adding up inside one course: each outcome's ``part`` (or its 学时), to ``fill_at``."""

    fill_at: Decimal
    hours: bool = False  # parts are training 学时; otherwise ``part`` per outcome
    part: Decimal = Decimal(1)
    combine: Combine = Combine.SUM
    below: Below = Below.NOTHING
    step: Decimal = Decimal("0.5")


@dataclass(frozen=True)
class Track:
    """A competition track (赛项), and whether it is contested by teams (团体赛)."""

    name: str
    team: bool = False


@dataclass(frozen=True)
class Competition:
    """A competition the policy names: the names it goes by, its tier, its tracks."""

    id: str
    names: tuple[str, ...]
    tier: str | None = None
    tracks: tuple[Track, ...] = ()


@dataclass(frozen=True)
class SourceMatch:
    """What a source course must be: a code, or a title (compared after normalisation)."""

    code: str | None = None
    title: str | None = None


class Grant(StrEnum):
    """What a course equivalence grants: the target's credits, or the smaller of both."""

    TARGET = "target"
    MIN = "min"


@dataclass(frozen=True)
class CourseRule:
    """Course equivalence: all ``sources`` (a bundle when several) fill all ``targets``.

    ``min_hours_ratio`` / ``min_credits_ratio``: the sources' 学时 / credits must reach this
    share of the targets'; ``grant = min`` gives min(source, target) credits.
    """

    id: str
    sources: tuple[SourceMatch, ...]
    targets: tuple[str, ...]
    min_grade: Decimal | None = None
    kind: OutcomeKind = OutcomeKind.COURSE
    scope: Scope = NO_SCOPE
    min_hours_ratio: Decimal | None = None
    min_credits_ratio: Decimal | None = None
    grant: Grant = Grant.TARGET
    record_as: str | None = None


@dataclass(frozen=True)
class CertificateRule:
    """A certificate of ``title`` at ``min_level`` or above exempts ``targets`` or gives credits.

    Levels are steps of ``ladder`` (the 1+X ladder unless the rule names another).
    """

    id: str
    title: str
    min_level: str | None
    targets: tuple[str, ...]
    credits: Decimal | None = None  # None: exemption (免修免考) worth the targets' credits
    kind: OutcomeKind = OutcomeKind.CERTIFICATE
    ladder: str = ONE_PLUS_X.id
    scope: Scope = NO_SCOPE
    accumulate: Accumulate | None = None
    record_as: str | None = None
    also: tuple[str, ...] = ()  # other certificate titles the rule takes alike

    @property
    def titles(self) -> tuple[str, ...]:
        """Every certificate title the rule takes."""
        return (self.title, *self.also)


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
    scope: Scope = NO_SCOPE
    accumulate: Accumulate | None = None
    record_as: str | None = None


@dataclass(frozen=True)
class AwardRule:
    """A competition award at ``min_level`` or above with one of ``ranks`` gives credits.

    ``competitions`` (ids) or ``tier`` name which competitions count (empty: any), ``tracks``
    which 赛项 (empty: any); ``team_credits`` is what a team prize gives (default: ``credits``).
    """

    id: str
    min_level: CompetitionLevel
    ranks: tuple[AwardRank, ...]
    credits: Decimal
    targets: tuple[str, ...]
    kind: OutcomeKind = OutcomeKind.AWARD
    scope: Scope = NO_SCOPE
    competitions: tuple[str, ...] = ()
    tier: str | None = None
    tracks: tuple[str, ...] = ()
    team_credits: Decimal | None = None
    accumulate: Accumulate | None = None
    record_as: str | None = None


Rule = CourseRule | CertificateRule | TrainingRule | AwardRule


@dataclass(frozen=True)
class Gate:
    """A condition that must hold before the rules apply; it consumes nothing.

    Met when one of the learner's eligible outcomes of ``kind`` matches ``title`` (at
    ``min_level`` of ``ladder``, or ``min_grade``). ``rules`` empty: it gates every rule.
    """

    id: str
    title_zh: str
    title_en: str
    kind: OutcomeKind
    title: str
    ladder: str = ONE_PLUS_X.id
    min_level: str | None = None
    min_grade: Decimal | None = None
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryCap:
    """At most ``credits`` recognised into courses of ``category``; ``name`` says which clause."""

    category: Category
    credits: Decimal
    name: str  # "per_category" or "residency"


@dataclass(frozen=True)
class Caps:
    """Limits on what a whole evaluation may recognise (None: no limit)."""

    total_credits: Decimal | None = None
    per_kind: tuple[tuple[OutcomeKind, Decimal], ...] = ()
    per_institution: Decimal | None = None
    per_academic_year: Decimal | None = None
    certificates: int | None = None
    per_category: tuple[CategoryCap, ...] = ()
    total_name: str = "total_credits"


class YearBasis(StrEnum):
    """Which date places an outcome in an academic year, for per-year caps."""

    COMPLETED_ON = "completed_on"  # completion, issue or award date
    TERM = "term"  # a course's term (other kinds: their date)


class AppliesBy(StrEnum):
    """Which date chooses the version of a policy that applies to a learner (catalog years).

    The version applying is the one in force on that date: the evaluation's own date, the
    learner's entry date (入学日期), or the start of the learner's intake (年级, e.g. 2026级
    starts on ``intake_starts`` of 2026).
    """

    EVALUATION_DATE = "evaluation_date"
    ENTRY_DATE = "entry_date"
    INTAKE = "intake"


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
    max_age_by_kind: tuple[tuple[OutcomeKind, int], ...] = ()
    ladders: tuple[Ladder, ...] = (ONE_PLUS_X,)
    agreements: tuple[Agreement, ...] = ()
    competitions: tuple[Competition, ...] = ()
    gates: tuple[Gate, ...] = ()
    rounding: Rounding | None = None
    record_as: str | None = None  # how a recognised course is recorded (None: not stated)
    makeup: Makeup | None = None  # how a 补考 pass counts (None: as scored)
    year_basis: YearBasis = YearBasis.COMPLETED_ON
    applies_by: AppliesBy = AppliesBy.EVALUATION_DATE
    intake_starts: tuple[int, int] = (9, 1)  # (month, day) an intake year starts on
    content_hash: str = field(default="", compare=False)

    def ladder(self, ladder_id: str) -> Ladder:
        """The ladder with ``ladder_id`` (the loader checked that it exists)."""
        return next(ladder for ladder in self.ladders if ladder.id == ladder_id)

    def agreement(self, agreement_id: str) -> Agreement:
        """The agreement with ``agreement_id`` (the loader checked that it exists)."""
        return next(item for item in self.agreements if item.id == agreement_id)


RECORDINGS = ("优秀", "良好", "中等", "及格", "合格", "converted", "outside_gpa")
"""How a recognised course may be recorded: a five-level or two-level word, the source grade
converted to the 0–100 scale (``converted``), or 免修 outside the GPA (``outside_gpa``)."""
