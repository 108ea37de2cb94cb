"""What each rule could recognise for one learner, and why each outcome could not be used.

The engine works on :class:`SourceOutcome` values (a record's outcome with where it came
from). Nothing here depends on the order records were posted: outcomes are sorted by content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from creditbank.records.grades import Grade, GradeScale
from creditbank.records.outcomes import (
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    Outcome,
    TrainingOutcome,
)
from creditbank.records.vocabulary import OutcomeKind
from creditbank.rules.normalise import normalise_title
from creditbank.rules.policy import (
    AwardRule,
    CertificateRule,
    CourseRule,
    Policy,
    Rule,
    TrainingRule,
)
from creditbank.rules.reasons import Reason, no_source

CATCH_ALL = "catch-all"


@dataclass(frozen=True)
class SourceOutcome:
    """A learner's outcome as the engine sees it."""

    record_id: str
    institution: str
    region: str
    outcome: Outcome

    @property
    def kind(self) -> OutcomeKind:
        """Course, certificate, training or award."""
        return self.outcome.kind

    @property
    def earned_on(self) -> date:
        """When it was earned (completion, issue or award date)."""
        match self.outcome:
            case CourseOutcome() | TrainingOutcome():
                return self.outcome.completed_on
            case CertificateOutcome():
                return self.outcome.issued_on
            case AwardOutcome():
                return self.outcome.awarded_on

    @property
    def title(self) -> str:
        """A display title."""
        match self.outcome:
            case CourseOutcome():
                return self.outcome.title_zh
            case CertificateOutcome() | TrainingOutcome():
                return self.outcome.title
            case AwardOutcome():
                return self.outcome.competition

    @property
    def academic_year(self) -> int:
        """The academic year it was earned in (a year runs from September)."""
        day = self.earned_on
        return day.year if day.month >= 9 else day.year - 1

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        """A content-based order: kind, date, title, id."""
        return (self.kind.value, self.earned_on.isoformat(), self.title, self.record_id)


@dataclass(frozen=True)
class Candidate:
    """One way a rule could recognise credits: the outcomes it uses and what it fills."""

    rule_id: str
    rule_position: int
    outcomes: tuple[str, ...]
    targets: tuple[str, ...]
    credits: Decimal
    kind: OutcomeKind
    institution: str
    academic_year: int
    catch_all: bool = False

    @property
    def order(self) -> tuple[Decimal, int, tuple[str, ...]]:
        """Search order: more credits first, then policy rule order, then outcome ids."""
        return (-self.credits, self.rule_position, self.outcomes)


@dataclass
class Screening:
    """The candidates, and reasons for outcomes ruled out before any search."""

    candidates: list[Candidate] = field(default_factory=list)
    refused: dict[str, list[Reason]] = field(default_factory=lambda: defaultdict(list))
    duplicates: dict[str, str] = field(default_factory=dict)  # record id -> the one kept
    rule_misses: dict[str, Reason] = field(default_factory=dict)  # rule id -> why nothing


@dataclass(frozen=True)
class _Context:
    """What the per-rule builders share."""

    policy: Policy
    screening: Screening
    minimum: dict[OutcomeKind, Decimal]
    courses: dict[str, SourceOutcome]  # normalised title -> the outcome kept
    by_code: dict[str, SourceOutcome]
    eligible: list[SourceOutcome]
    by_kind: dict[OutcomeKind, list[SourceOutcome]]


def convert_grade(policy: Policy, grade: Grade) -> Decimal | None:
    """The grade on the policy's 0–100 comparison scale, or None when no conversion exists."""
    for table in policy.grade_tables:
        if table.scale is grade.scale:
            if table.words:
                return dict(table.words).get(grade.value)
            assert table.multiply is not None
            return Decimal(grade.value) * table.multiply + table.add
    return Decimal(grade.value) if grade.scale is GradeScale.PERCENT else None


def _grade_problem(policy: Policy, grade: Grade, minimum: Decimal | None) -> Reason | None:
    if minimum is None:
        return (
            None
            if grade.passed
            else Reason.of("grade", grade=grade.value, converted="-", minimum="pass")
        )
    converted = convert_grade(policy, grade)
    if converted is None:
        return Reason.of("no_conversion", scale=grade.scale.value)
    if converted < minimum:
        return Reason.of("grade", grade=grade.value, converted=converted, minimum=minimum)
    return None


def _general_problem(policy: Policy, source: SourceOutcome, on: date) -> Reason | None:
    """Conditions every outcome must meet whatever the rule: age, origin, level."""
    if policy.max_outcome_age_years is not None:
        years = policy.max_outcome_age_years
        try:
            oldest = on.replace(year=on.year - years)
        except ValueError:  # 29 February
            oldest = on.replace(year=on.year - years, day=28)
        if source.earned_on < oldest:
            return Reason.of("too_old", date=source.earned_on.isoformat(), years=years)
    if policy.institutions and source.institution not in policy.institutions:
        return Reason.of("institution", institution=source.institution)
    if policy.regions and source.region not in policy.regions:
        return Reason.of("region", region=source.region)
    outcome = source.outcome
    if isinstance(outcome, CourseOutcome) and outcome.level not in policy.source_levels:
        return Reason.of("level", level=outcome.level.value)
    return None


def _course_key(outcome: CourseOutcome) -> str:
    return normalise_title(outcome.title_zh)


def screen(policy: Policy, sources: Sequence[SourceOutcome], on: date) -> Screening:
    """Build every candidate the policy's rules allow for these outcomes on ``on``."""
    screening = Screening()
    minimum = dict(policy.min_grade)
    eligible: list[SourceOutcome] = []
    for source in sorted(sources, key=lambda s: s.sort_key):
        problem = _general_problem(policy, source, on)
        if problem is not None:
            screening.refused[source.record_id].append(problem)
        else:
            eligible.append(source)

    # The same course twice (titles equal after normalisation) counts once: keep the best grade.
    courses: dict[str, SourceOutcome] = {}
    for source in eligible:
        if not isinstance(source.outcome, CourseOutcome):
            continue
        key = _course_key(source.outcome)
        kept = courses.get(key)
        if kept is None:
            courses[key] = source
            continue
        assert isinstance(kept.outcome, CourseOutcome)
        better = (convert_grade(policy, source.outcome.grade) or Decimal(-1)) > (
            convert_grade(policy, kept.outcome.grade) or Decimal(-1)
        )
        loser, courses[key] = (kept, source) if better else (source, kept)
        screening.duplicates[loser.record_id] = courses[key].record_id
        screening.refused[loser.record_id].append(
            Reason.of("duplicate", other=courses[key].record_id)
        )
    by_code: dict[str, SourceOutcome] = {}
    for source in courses.values():
        assert isinstance(source.outcome, CourseOutcome)
        by_code.setdefault(source.outcome.course_code, source)

    by_kind: dict[OutcomeKind, list[SourceOutcome]] = defaultdict(list)
    for source in eligible:
        by_kind[source.kind].append(source)
    context = _Context(policy, screening, minimum, courses, by_code, eligible, by_kind)
    for position, rule in enumerate(policy.rules):
        before = len(screening.candidates)
        match rule:
            case CourseRule():
                _course_candidates(context, rule, position)
            case CertificateRule():
                _certificate_candidates(context, rule, position)
            case TrainingRule():
                _training_candidates(context, rule, position)
            case AwardRule():
                _award_candidates(context, rule, position)
        if len(screening.candidates) == before and rule.id not in screening.rule_misses:
            screening.rule_misses[rule.id] = no_source(rule.id)

    if policy.catch_all is not None:
        for source in courses.values():
            outcome = source.outcome
            assert isinstance(outcome, CourseOutcome)
            if _grade_problem(policy, outcome.grade, minimum.get(OutcomeKind.COURSE)) is None:
                screening.candidates.append(
                    Candidate(
                        CATCH_ALL,
                        len(policy.rules),
                        (source.record_id,),
                        (),
                        outcome.credits,
                        OutcomeKind.COURSE,
                        source.institution,
                        source.academic_year,
                        catch_all=True,
                    )
                )
    screening.candidates.sort(key=lambda c: c.order)
    return screening


def _single(rule: Rule, position: int, source: SourceOutcome, credits: Decimal) -> Candidate:
    """A candidate using one outcome (certificates, training, awards)."""
    return Candidate(
        rule.id,
        position,
        (source.record_id,),
        rule.targets,
        credits,
        source.kind,
        source.institution,
        source.academic_year,
    )


def _target_credits(policy: Policy, targets: Sequence[str]) -> Decimal:
    return sum((policy.programme.course(code).credits for code in targets), Decimal(0))


def _course_candidates(ctx: _Context, rule: CourseRule, position: int) -> None:
    policy, screening, minimum = ctx.policy, ctx.screening, ctx.minimum
    courses, by_code = ctx.courses, ctx.by_code
    chosen: list[SourceOutcome] = []
    for match in rule.sources:
        found = (
            by_code.get(match.code)
            if match.code
            else courses.get(normalise_title(match.title or ""))
        )
        if found is None or found in chosen:
            return
        assert isinstance(found.outcome, CourseOutcome)
        problem = _grade_problem(
            policy, found.outcome.grade, rule.min_grade or minimum.get(OutcomeKind.COURSE)
        )
        if problem is not None:
            screening.refused[found.record_id].append(problem)
            screening.rule_misses[rule.id] = problem
            return
        chosen.append(found)
    first = chosen[0]
    screening.candidates.append(
        Candidate(
            rule.id,
            position,
            tuple(s.record_id for s in chosen),
            rule.targets,
            _target_credits(policy, rule.targets),
            OutcomeKind.COURSE,
            first.institution,
            max(s.academic_year for s in chosen),
        )
    )


def _certificate_candidates(ctx: _Context, rule: CertificateRule, position: int) -> None:
    policy, screening = ctx.policy, ctx.screening
    wanted = normalise_title(rule.title)
    for source in ctx.by_kind.get(OutcomeKind.CERTIFICATE, ()):
        outcome = source.outcome
        if not isinstance(outcome, CertificateOutcome) or normalise_title(outcome.title) != wanted:
            continue
        if rule.min_level is not None and (
            outcome.level is None or not outcome.level.covers(rule.min_level)
        ):
            reason = Reason.of(
                "cert_level", level=outcome.level or "-", minimum=rule.min_level.value
            )
            screening.refused[source.record_id].append(reason)
            screening.rule_misses[rule.id] = reason
            continue
        credits = (
            rule.credits if rule.credits is not None else _target_credits(policy, rule.targets)
        )
        screening.candidates.append(_single(rule, position, source, credits))


def _training_candidates(ctx: _Context, rule: TrainingRule, position: int) -> None:
    policy, screening, minimum = ctx.policy, ctx.screening, ctx.minimum
    for source in ctx.by_kind.get(OutcomeKind.TRAINING, ()):
        outcome = source.outcome
        if not isinstance(outcome, TrainingOutcome):
            continue
        if rule.title_contains and normalise_title(rule.title_contains) not in normalise_title(
            outcome.title
        ):
            continue
        problem = _grade_problem(
            policy, outcome.result, rule.min_grade or minimum.get(OutcomeKind.TRAINING)
        )
        if problem is not None:
            screening.refused[source.record_id].append(problem)
            screening.rule_misses[rule.id] = problem
            continue
        steps = (Decimal(outcome.hours) / rule.hours_per_credit / rule.step).to_integral_value(
            ROUND_FLOOR
        )
        credits = min(steps * rule.step, rule.max_credits, _target_credits(policy, rule.targets))
        if credits <= 0:
            reason = Reason.of("zero_credits", hours=outcome.hours)
            screening.refused[source.record_id].append(reason)
            continue
        screening.candidates.append(_single(rule, position, source, credits))


def _award_candidates(ctx: _Context, rule: AwardRule, position: int) -> None:
    policy, screening = ctx.policy, ctx.screening
    for source in ctx.by_kind.get(OutcomeKind.AWARD, ()):
        outcome = source.outcome
        if not isinstance(outcome, AwardOutcome):
            continue
        if outcome.level.rank < rule.min_level.rank or outcome.rank not in rule.ranks:
            continue
        credits = min(rule.credits, _target_credits(policy, rule.targets))
        screening.candidates.append(_single(rule, position, source, credits))
