"""What each rule could recognise for one learner, and why each outcome could not be used.

The engine works on :class:`SourceOutcome` values (a record's outcome with where it came
from). Nothing here depends on the order records were posted: outcomes are sorted by content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache

from creditbank.records.grades import Grade, GradeScale
from creditbank.records.outcomes import (
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    Outcome,
    TrainingOutcome,
)
from creditbank.records.vocabulary import Attempt, AwardRank, OutcomeKind
from creditbank.rules.normalise import normalise_title
from creditbank.rules.policy import (
    Accumulate,
    AwardRule,
    CertificateRule,
    Combine,
    Competition,
    CourseRule,
    Gate,
    Grant,
    Ladder,
    Policy,
    RoundingMode,
    Rule,
    Scope,
    TrainingRule,
    YearBasis,
)
from creditbank.rules.reasons import Reason, no_source

CATCH_ALL = "catch-all"

# How good a prize is, to keep the best prize of one track.
_PRIZE = {
    AwardRank.FIRST_PRIZE: 3,
    AwardRank.GOLD: 3,
    AwardRank.SECOND_PRIZE: 2,
    AwardRank.SILVER: 2,
    AwardRank.THIRD_PRIZE: 1,
    AwardRank.BRONZE: 1,
    AwardRank.HONOURABLE_MENTION: 0,
}


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

    def year(self, basis: YearBasis) -> int:
        """The academic year per-year caps count it in: its term's, or its date's."""
        if basis is YearBasis.TERM and isinstance(self.outcome, CourseOutcome):
            return self.outcome.term.start_year
        return self.academic_year

    @cached_property
    def sort_key(self) -> tuple[str, str, str, str]:
        """A content-based order: kind, date, title, id (computed once: sorting asks often)."""
        return (self.kind.value, self.earned_on.isoformat(), self.title, self.record_id)


@dataclass(frozen=True)
class Candidate:
    """One way a rule could recognise credits: the outcomes it uses and what it fills.

    ``shares`` are the credits going to each target (in target order, each up to the
    course's credits); ``categories`` the same per course category, for category caps.
    ``exception`` is the position of the registrar's exception that made it, if one did.
    """

    rule_id: str
    rule_position: int
    outcomes: tuple[str, ...]
    targets: tuple[str, ...]
    credits: Decimal
    kind: OutcomeKind
    institution: str
    academic_year: int
    catch_all: bool = False
    shares: tuple[tuple[str, Decimal], ...] = ()
    categories: tuple[tuple[str, Decimal], ...] = ()
    exception: int | None = None
    partial: bool = False

    @property
    def order(self) -> tuple[Decimal, int, tuple[str, ...]]:
        """Search order: more credits first, then policy rule order, then outcome ids."""
        return (-self.credits, self.rule_position, self.outcomes)


def split_credits(
    policy: Policy, targets: Sequence[str], credits: Decimal
) -> tuple[tuple[tuple[str, Decimal], ...], tuple[tuple[str, Decimal], ...]]:
    """How ``credits`` fill ``targets`` in order (each up to its credits), and per category."""
    left = credits
    shares: list[tuple[str, Decimal]] = []
    categories: dict[str, Decimal] = {}
    for code in targets:
        course = policy.programme.course(code)
        take = min(course.credits, left)
        left -= take
        shares.append((code, take))
        category = course.category.value
        categories[category] = categories.get(category, Decimal(0)) + take
    return tuple(shares), tuple(sorted(categories.items()))


def make_candidate(  # noqa: PLR0917 -- the fields of a Candidate, in its order
    policy: Policy,
    rule_id: str,
    position: int,
    outcomes: tuple[str, ...],
    targets: tuple[str, ...],
    credits: Decimal,
    kind: OutcomeKind,
    institution: str,
    academic_year: int,
    *,
    exception: int | None = None,
    partial: bool = False,
) -> Candidate:
    """A candidate whose credits never exceed what its targets hold."""
    credits, shares, categories = _split(policy, targets, credits)
    return Candidate(
        rule_id,
        position,
        outcomes,
        targets,
        credits,
        kind,
        institution,
        academic_year,
        shares=shares,
        categories=categories,
        exception=exception,
        partial=partial,
    )


_Split = tuple[Decimal, tuple[tuple[str, Decimal], ...], tuple[tuple[str, Decimal], ...]]
_SPLITS: dict[int, tuple[Policy, dict[tuple[tuple[str, ...], Decimal], _Split]]] = {}


def _split(policy: Policy, targets: tuple[str, ...], credits: Decimal) -> _Split:
    """Credits capped at what the targets hold, split per target and per category.

    Cached per policy: the same rules give the same splits for every learner.
    """
    cached = _SPLITS.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_SPLITS) > 256:
            _SPLITS.clear()
        cached = _SPLITS[id(policy)] = (policy, {})
    found = cached[1].get((targets, credits))
    if found is None:
        room = sum((policy.programme.course(code).credits for code in targets), Decimal(0))
        capped = min(credits, room)
        found = (capped, *split_credits(policy, targets, capped))
        cached[1][(targets, credits)] = found
    return found


@dataclass(frozen=True)
class ForcedPart:
    """A registrar's forced outcome into a course that parts fill: it adds to the parts."""

    exception: int
    record_id: str
    credits: Decimal
    institution: str
    academic_year: int


@dataclass
class Screening:
    """The candidates, and reasons for outcomes ruled out before any search."""

    candidates: list[Candidate] = field(default_factory=list)
    refused: dict[str, list[Reason]] = field(default_factory=lambda: defaultdict(list))
    duplicates: dict[str, str] = field(default_factory=dict)  # record id -> the one kept
    rule_misses: dict[str, Reason] = field(default_factory=dict)  # rule id -> why nothing
    fixed: list[Candidate] = field(default_factory=list)  # forced parts with the rule's parts
    absorbed: set[int] = field(default_factory=set)  # exceptions those fixed candidates hold
    unmet_gates: list[Gate] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    """What the per-rule builders share."""

    policy: Policy
    on: date
    screening: Screening
    minimum: dict[OutcomeKind, Decimal]
    courses: dict[str, SourceOutcome]  # normalised title -> the outcome kept
    by_code: dict[str, SourceOutcome]
    eligible: list[SourceOutcome]
    by_kind: dict[OutcomeKind, list[SourceOutcome]]
    gated: frozenset[str]  # rules whose gate is unmet
    forced_parts: Mapping[str, Sequence[ForcedPart]]


def convert_grade(
    policy: Policy,
    grade: Grade,
    institution: str | None = None,
    attempt: Attempt = Attempt.REGULAR,
) -> Decimal | None:
    """The grade on the policy's 0–100 comparison scale, rounded as the policy says.

    An institution's own table for the scale comes before the policy's general one; None
    when no conversion exists. A passed 补考 counts as the policy's 补考 grade, if it sets one.
    """
    counted = _makeup_grade(policy, grade, attempt)
    if counted is not None:
        return counted
    converted = _converted(policy, grade, institution)
    rounding = policy.rounding
    if converted is None or rounding is None:
        return converted
    mode = ROUND_HALF_UP if rounding.mode is RoundingMode.HALF_UP else ROUND_DOWN
    return converted.quantize(Decimal(1).scaleb(-rounding.places), mode)


def _makeup_grade(policy: Policy, grade: Grade, attempt: Attempt) -> Decimal | None:
    """The grade a passed 补考 counts as, if the policy sets one."""
    makeup = policy.makeup
    if attempt is not Attempt.MAKEUP or makeup is None or not grade.passed:
        return None
    return makeup.grade


def course_grade(policy: Policy, source: SourceOutcome) -> Decimal | None:
    """A course outcome's grade on the comparison scale, its 补考 counted as the policy says."""
    outcome = source.outcome
    assert isinstance(outcome, CourseOutcome)
    return convert_grade(policy, outcome.grade, source.institution, outcome.attempt)


def _converted(policy: Policy, grade: Grade, institution: str | None) -> Decimal | None:
    general = None
    for table in policy.grade_tables:
        if table.scale is not grade.scale:
            continue
        if table.institution is None:
            general = general or table
        elif table.institution == institution:
            general = table
            break
    if general is None:
        return Decimal(grade.value) if grade.scale is GradeScale.PERCENT else None
    if general.words:
        return dict(general.words).get(grade.value)
    value = Decimal(grade.value)
    if general.bands:
        for lower, mapped in general.bands:
            if value >= lower:
                return mapped
        return Decimal(0)
    assert general.multiply is not None
    return value * general.multiply + general.add


def _grade_problem(
    policy: Policy,
    grade: Grade,
    minimum: Decimal | None,
    institution: str | None = None,
    attempt: Attempt = Attempt.REGULAR,
) -> Reason | None:
    if attempt is Attempt.MAKEUP and policy.makeup is not None and not policy.makeup.accepted:
        return Reason.of("makeup", grade=grade.value)
    if minimum is None:
        return (
            None
            if grade.passed
            else Reason.of("grade", grade=grade.value, converted="-", minimum="pass")
        )
    converted = convert_grade(policy, grade, institution, attempt)
    if converted is None:
        return Reason.of("no_conversion", scale=grade.scale.value)
    if converted < minimum:
        if converted == _makeup_grade(policy, grade, attempt):
            return Reason.of("makeup_grade", grade=grade.value, counted=converted, minimum=minimum)
        return Reason.of("grade", grade=grade.value, converted=converted, minimum=minimum)
    return None


@lru_cache(maxsize=1024)
def _age_limit(
    overall: int | None, by_kind: tuple[tuple[OutcomeKind, int], ...], kind: OutcomeKind
) -> int | None:
    """The strictest age limit for outcomes of ``kind``: the policy's, or the kind's own."""
    limits = [years for k, years in by_kind if k is kind]
    if overall is not None:
        limits.append(overall)
    return min(limits, default=None)


@lru_cache(maxsize=1024)  # the same evaluation date and limits recur for a whole cohort
def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def _general_problem(policy: Policy, source: SourceOutcome, on: date) -> Reason | None:
    """Conditions every outcome must meet whatever the rule: validity, age, origin, level."""
    outcome = source.outcome
    if (
        isinstance(outcome, CertificateOutcome)
        and outcome.expires_on is not None
        and outcome.expires_on < on
    ):
        return Reason.of("expired", date=outcome.expires_on.isoformat())
    years = _age_limit(policy.max_outcome_age_years, policy.max_age_by_kind, source.kind)
    if years is not None and source.earned_on < _years_before(on, years):
        return Reason.of("too_old", date=source.earned_on.isoformat(), years=years)
    if policy.institutions and source.institution not in policy.institutions:
        return Reason.of("institution", institution=source.institution)
    if policy.regions and source.region not in policy.regions:
        return Reason.of("region", region=source.region)
    if isinstance(outcome, CourseOutcome) and outcome.level not in policy.source_levels:
        return Reason.of("level", level=outcome.level.value)
    return None


def _scope_problem(policy: Policy, scope: Scope, source: SourceOutcome, on: date) -> Reason | None:
    """A rule's own conditions on where and when the outcome was earned."""
    if scope.max_age_years is not None and source.earned_on < _years_before(
        on, scope.max_age_years
    ):
        return Reason.of("too_old", date=source.earned_on.isoformat(), years=scope.max_age_years)
    if scope.institutions and source.institution not in scope.institutions:
        return Reason.of("institution", institution=source.institution)
    if scope.regions and source.region not in scope.regions:
        return Reason.of("region", region=source.region)
    if scope.agreements:
        covering = [
            policy.agreement(a)
            for a in scope.agreements
            if source.institution in policy.agreement(a).institutions
        ]
        if not covering:
            return Reason.of("no_agreement", institution=source.institution)
        if not any(
            a.starts <= source.earned_on and (a.ends is None or source.earned_on <= a.ends)
            for a in covering
        ):
            return Reason.of(
                "agreement_dates",
                institution=source.institution,
                date=source.earned_on.isoformat(),
            )
    return None


@lru_cache(maxsize=65536)  # the same certificates recur across rules and learners
def certificate_level(ladder: Ladder, title: str, level: str | None) -> tuple[str, str | None]:
    """The certificate's own title (normalised, without its level) and its step on ``ladder``.

    The record's level code comes first; otherwise a step's name or alias written in the
    title (the longest found) gives the step and is taken out of the title.
    """
    key = normalise_title(title)
    names = {step: step for step in ladder.steps}
    names.update(dict(ladder.aliases))
    if level is not None and level in names:
        return key, names[level]
    found = sorted(
        ((normalise_title(name), step) for name, step in names.items()),
        key=lambda item: (-len(item[0]), item[0]),
    )
    for name, step in found:
        if name and name in key:
            return key.replace(name, "", 1), step
    return key, None


@lru_cache(maxsize=4096)
def _normalised(titles: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise_title(title) for title in titles)


_LEVELS: dict[int, tuple[Ladder, dict[tuple[str, str | None], tuple[str, str | None]]]] = {}


def _cert_level(ladder: Ladder, outcome: CertificateOutcome) -> tuple[str, str | None]:
    """:func:`certificate_level` of a certificate, remembered per ladder object."""
    cached = _LEVELS.get(id(ladder))
    if cached is None or cached[0] is not ladder:
        if len(_LEVELS) > 1024:
            _LEVELS.clear()
        cached = _LEVELS[id(ladder)] = (ladder, {})
    key = (outcome.title, None if outcome.level is None else outcome.level.value)
    found = cached[1].get(key)
    if found is None:
        found = cached[1][key] = certificate_level(ladder, *key)
    return found


def _course_key(outcome: CourseOutcome) -> str:
    return normalise_title(outcome.title_zh)


def _supersede_certificates(
    policy: Policy, screening: Screening, eligible: list[SourceOutcome]
) -> set[str]:
    """The same certificate (same title, any level) counts once, at the highest level held."""
    lost: set[str] = set()
    certificates = [s for s in eligible if isinstance(s.outcome, CertificateOutcome)]
    if len(certificates) < 2:
        return lost
    for ladder in policy.ladders:
        groups: dict[str, list[tuple[int, SourceOutcome]]] = defaultdict(list)
        for source in certificates:
            assert isinstance(source.outcome, CertificateOutcome)
            base, step = _cert_level(ladder, source.outcome)
            if step is not None:
                groups[base].append((ladder.rank(step), source))
        for members in groups.values():
            if len(members) < 2:
                continue
            members.sort(key=lambda m: (-m[0], m[1].sort_key))
            best = members[0][1]
            for rank, source in members[1:]:
                if source.record_id in lost:
                    continue
                lost.add(source.record_id)
                screening.duplicates[source.record_id] = best.record_id
                screening.refused[source.record_id].append(
                    Reason.of("lower_level", other=best.record_id, level=ladder.steps[rank])
                )
    return lost


_COMPETITIONS: dict[int, tuple[Policy, dict[str, Competition | None]]] = {}


def _competition(policy: Policy, outcome: AwardOutcome) -> Competition | None:
    """The policy's competition an award is from (looked up once per policy and name)."""
    if not policy.competitions:
        return None
    cached = _COMPETITIONS.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_COMPETITIONS) > 256:
            _COMPETITIONS.clear()
        cached = _COMPETITIONS[id(policy)] = (policy, {})
    name = outcome.competition
    if name not in cached[1]:
        key = normalise_title(name)
        cached[1][name] = next((c for c in policy.competitions if key in c.names), None)
    return cached[1][name]


def _award_key(policy: Policy, outcome: AwardOutcome) -> tuple[str, str] | None:
    if not outcome.track:
        return None
    competition = _competition(policy, outcome)
    name = competition.id if competition else normalise_title(outcome.competition)
    return name, normalise_title(outcome.track)


def _supersede_awards(
    policy: Policy, screening: Screening, eligible: list[SourceOutcome]
) -> set[str]:
    """The same track of the same competition counts once, at its best prize."""
    groups: dict[tuple[str, str], list[SourceOutcome]] = defaultdict(list)
    for source in eligible:
        if isinstance(source.outcome, AwardOutcome):
            key = _award_key(policy, source.outcome)
            if key is not None:
                groups[key].append(source)
    lost: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue

        def strength(source: SourceOutcome) -> tuple[int, int]:
            assert isinstance(source.outcome, AwardOutcome)
            return (_PRIZE[source.outcome.rank], source.outcome.level.rank)

        members.sort(key=lambda m: (tuple(-x for x in strength(m)), m.sort_key))
        best = members[0]
        for source in members[1:]:
            lost.add(source.record_id)
            screening.duplicates[source.record_id] = best.record_id
            screening.refused[source.record_id].append(
                Reason.of("same_track", other=best.record_id)
            )
    return lost


def _gate_met(policy: Policy, gate: Gate, eligible: Sequence[SourceOutcome]) -> bool:
    wanted = normalise_title(gate.title)
    for source in eligible:
        outcome = source.outcome
        if source.kind is not gate.kind:
            continue
        if isinstance(outcome, CertificateOutcome):
            ladder = policy.ladder(gate.ladder)
            base, step = _cert_level(ladder, outcome)
            if base != wanted:
                continue
            if gate.min_level is not None and (
                step is None or ladder.rank(step) < ladder.rank(gate.min_level)
            ):
                continue
            return True
        if normalise_title(source.title) != wanted:
            continue
        grade = (
            outcome.grade
            if isinstance(outcome, CourseOutcome)
            else outcome.result
            if isinstance(outcome, TrainingOutcome)
            else None
        )
        attempt = outcome.attempt if isinstance(outcome, CourseOutcome) else Attempt.REGULAR
        if (
            grade is None
            or _grade_problem(policy, grade, gate.min_grade, source.institution, attempt) is None
        ):
            return True
    return False


def _close_gates(
    policy: Policy, screening: Screening, eligible: Sequence[SourceOutcome]
) -> tuple[set[str], bool]:
    """The rules whose gate is unmet, and whether one gate closes every rule."""
    gated: set[str] = set()
    every_rule = False
    for gate in policy.gates:
        if _gate_met(policy, gate, eligible):
            continue
        screening.unmet_gates.append(gate)
        reason = Reason.of("gate_unmet", gate=gate.id, zh=gate.title_zh, en=gate.title_en)
        rules = gate.rules or tuple(rule.id for rule in policy.rules)
        every_rule = every_rule or not gate.rules
        for rule_id in rules:
            gated.add(rule_id)
            screening.rule_misses.setdefault(rule_id, reason)
        if not gate.rules:
            for source in eligible:
                screening.refused[source.record_id].append(reason)
    return gated, every_rule


def _courses_kept(
    policy: Policy, screening: Screening, eligible: Sequence[SourceOutcome]
) -> tuple[dict[str, SourceOutcome], dict[str, SourceOutcome]]:
    """Eligible courses by normalised title and by code; a course taken twice counts once."""
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
        better = (course_grade(policy, source) or Decimal(-1)) > (
            course_grade(policy, kept) or Decimal(-1)
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

    return courses, by_code


def screen(
    policy: Policy,
    sources: Sequence[SourceOutcome],
    on: date,
    forced_parts: Mapping[str, Sequence[ForcedPart]] | None = None,
) -> Screening:
    """Build every candidate the policy's rules allow for these outcomes on ``on``.

    ``forced_parts``: registrars' forced outcomes into courses a rule fills by parts (course
    code -> forced); they join the rule's parts in a fixed candidate (``Screening.fixed``).
    """
    screening = Screening()
    minimum = dict(policy.min_grade)
    eligible: list[SourceOutcome] = []
    for source in sorted(sources, key=lambda s: s.sort_key):
        problem = _general_problem(policy, source, on)
        if problem is not None:
            screening.refused[source.record_id].append(problem)
        else:
            eligible.append(source)

    gated, every_rule = _close_gates(policy, screening, eligible)
    lost = _supersede_certificates(policy, screening, eligible)
    lost |= _supersede_awards(policy, screening, eligible)
    if lost:
        eligible = [s for s in eligible if s.record_id not in lost]

    courses, by_code = _courses_kept(policy, screening, eligible)
    by_kind: dict[OutcomeKind, list[SourceOutcome]] = defaultdict(list)
    for source in eligible:
        by_kind[source.kind].append(source)
    context = _Context(
        policy,
        on,
        screening,
        minimum,
        courses,
        by_code,
        eligible,
        by_kind,
        frozenset(gated),
        forced_parts or {},
    )
    firsts = _first_sources(policy)
    for position, rule in enumerate(policy.rules):
        if rule.id in gated:
            continue
        first = firsts[position]
        if first is not None and (by_code if first[0] else courses).get(first[1]) is None:
            # A course rule whose first source the learner lacks makes nothing (as below).
            if rule.id not in screening.rule_misses:
                screening.rule_misses[rule.id] = no_source(rule.id)
            continue
        before = len(screening.candidates), len(screening.fixed)
        match rule:
            case CourseRule():
                _course_candidates(context, rule, position)
            case CertificateRule():
                _certificate_candidates(context, rule, position)
            case TrainingRule():
                _training_candidates(context, rule, position)
            case AwardRule():
                _award_candidates(context, rule, position)
        found = (len(screening.candidates), len(screening.fixed)) != before
        if not found and rule.id not in screening.rule_misses:
            screening.rule_misses[rule.id] = no_source(rule.id)

    if policy.catch_all is not None and not every_rule:
        _catch_all_candidates(context)
    screening.candidates.sort(key=lambda c: c.order)
    return screening


_FIRSTS: dict[int, tuple[Policy, tuple[tuple[bool, str] | None, ...]]] = {}


def _first_sources(policy: Policy) -> tuple[tuple[bool, str] | None, ...]:
    """Per rule, a course rule's first source as (by code?, code or normalised title).

    Computed once per loaded policy (keyed by identity, as hashing a policy costs more).
    """
    cached = _FIRSTS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    firsts = tuple(
        (
            (True, rule.sources[0].code)
            if rule.sources[0].code
            else (False, normalise_title(rule.sources[0].title or ""))
        )
        if isinstance(rule, CourseRule) and rule.sources
        else None
        for rule in policy.rules
    )
    if len(_FIRSTS) > 256:
        _FIRSTS.clear()
    _FIRSTS[id(policy)] = (policy, firsts)
    return firsts


def _catch_all_candidates(ctx: _Context) -> None:
    policy = ctx.policy
    assert policy.catch_all is not None
    category = policy.programme.course(policy.catch_all).category.value
    for source in ctx.courses.values():
        outcome = source.outcome
        assert isinstance(outcome, CourseOutcome)
        minimum = ctx.minimum.get(OutcomeKind.COURSE)
        if (
            _grade_problem(policy, outcome.grade, minimum, source.institution, outcome.attempt)
            is None
        ):
            ctx.screening.candidates.append(
                Candidate(
                    CATCH_ALL,
                    len(policy.rules),
                    (source.record_id,),
                    (),
                    outcome.credits,
                    OutcomeKind.COURSE,
                    source.institution,
                    source.year(policy.year_basis),
                    catch_all=True,
                    categories=((category, outcome.credits),),
                )
            )


def _single(
    ctx: _Context, rule: Rule, position: int, source: SourceOutcome, credits: Decimal
) -> Candidate:
    """A candidate using one outcome (certificates, training, awards)."""
    return make_candidate(
        ctx.policy,
        rule.id,
        position,
        (source.record_id,),
        rule.targets,
        credits,
        source.kind,
        source.institution,
        source.year(ctx.policy.year_basis),
    )


def _target_credits(policy: Policy, targets: Sequence[str]) -> Decimal:
    return sum((policy.programme.course(code).credits for code in targets), Decimal(0))


def _refuse(ctx: _Context, rule: Rule, source: SourceOutcome, reason: Reason) -> None:
    ctx.screening.refused[source.record_id].append(reason)
    ctx.screening.rule_misses[rule.id] = reason


def _course_candidates(ctx: _Context, rule: CourseRule, position: int) -> None:
    policy, minimum = ctx.policy, ctx.minimum
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
            policy,
            found.outcome.grade,
            rule.min_grade or minimum.get(OutcomeKind.COURSE),
            found.institution,
            found.outcome.attempt,
        ) or _scope_problem(policy, rule.scope, found, ctx.on)
        if problem is not None:
            _refuse(ctx, rule, found, problem)
            return
        chosen.append(found)
    if rule.min_hours_ratio is None and rule.min_credits_ratio is None:
        credits = _target_credits(policy, rule.targets)
        if rule.grant is Grant.MIN:
            credits = min(credits, _source_credits(chosen))
    else:
        found_credits = _source_dependent(ctx, rule, chosen)
        if found_credits is None:
            return
        credits = found_credits
    first = chosen[0]
    year = (
        first.year(policy.year_basis)
        if len(chosen) == 1
        else max(s.year(policy.year_basis) for s in chosen)
    )
    ctx.screening.candidates.append(
        make_candidate(
            policy,
            rule.id,
            position,
            tuple(s.record_id for s in chosen),
            rule.targets,
            credits,
            OutcomeKind.COURSE,
            first.institution,
            year,
        )
    )


def _source_credits(chosen: Sequence[SourceOutcome]) -> Decimal:
    return sum(
        (s.outcome.credits for s in chosen if isinstance(s.outcome, CourseOutcome)), Decimal(0)
    )


def _source_dependent(
    ctx: _Context, rule: CourseRule, chosen: Sequence[SourceOutcome]
) -> Decimal | None:
    """The credits a source-dependent equivalence grants, or None when the source falls short."""
    policy = ctx.policy
    outcomes = [s.outcome for s in chosen if isinstance(s.outcome, CourseOutcome)]
    targets = [policy.programme.course(code) for code in rule.targets]
    source_credits = _source_credits(chosen)
    target_credits = sum((c.credits for c in targets), Decimal(0))
    problem = None
    if rule.min_hours_ratio is not None:
        have = sum(o.hours for o in outcomes)
        need = rule.min_hours_ratio * sum(c.hours or 0 for c in targets)
        if have < need:
            problem = Reason.of("short_hours", hours=have, required=need.normalize())
    if problem is None and rule.min_credits_ratio is not None:
        need = rule.min_credits_ratio * target_credits
        if source_credits < need:
            problem = Reason.of("short_credits", credits=source_credits, required=need.normalize())
    if problem is not None:
        for source in chosen:
            _refuse(ctx, rule, source, problem)
        return None
    return min(source_credits, target_credits) if rule.grant is Grant.MIN else target_credits


def _certificate_candidates(ctx: _Context, rule: CertificateRule, position: int) -> None:
    policy = ctx.policy
    wanted = _normalised(rule.titles)
    ladder = policy.ladder(rule.ladder)
    parts: list[tuple[Decimal, SourceOutcome]] = []
    for source in ctx.by_kind.get(OutcomeKind.CERTIFICATE, ()):
        outcome = source.outcome
        if not isinstance(outcome, CertificateOutcome):
            continue
        base, step = _cert_level(ladder, outcome)
        if base not in wanted:
            continue
        if rule.min_level is not None and (
            step is None or ladder.rank(step) < ladder.rank(rule.min_level)
        ):
            _refuse(
                ctx,
                rule,
                source,
                Reason.of("cert_level", level=step or "-", minimum=rule.min_level),
            )
            continue
        problem = _scope_problem(policy, rule.scope, source, ctx.on)
        if problem is not None:
            _refuse(ctx, rule, source, problem)
            continue
        if rule.accumulate is not None:
            parts.append((rule.accumulate.part, source))
            continue
        credits = (
            rule.credits if rule.credits is not None else _target_credits(policy, rule.targets)
        )
        ctx.screening.candidates.append(_single(ctx, rule, position, source, credits))
    if rule.accumulate is not None:
        _accumulated(ctx, rule, rule.accumulate, position, parts)


def _training_candidates(ctx: _Context, rule: TrainingRule, position: int) -> None:
    policy, minimum = ctx.policy, ctx.minimum
    parts: list[tuple[Decimal, SourceOutcome]] = []
    for source in ctx.by_kind.get(OutcomeKind.TRAINING, ()):
        outcome = source.outcome
        if not isinstance(outcome, TrainingOutcome):
            continue
        if rule.title_contains and normalise_title(rule.title_contains) not in normalise_title(
            outcome.title
        ):
            continue
        problem = _grade_problem(
            policy,
            outcome.result,
            rule.min_grade or minimum.get(OutcomeKind.TRAINING),
            source.institution,
        ) or _scope_problem(policy, rule.scope, source, ctx.on)
        if problem is not None:
            _refuse(ctx, rule, source, problem)
            continue
        if rule.accumulate is not None:
            value = Decimal(outcome.hours) if rule.accumulate.hours else rule.accumulate.part
            parts.append((value, source))
            continue
        steps = (Decimal(outcome.hours) / rule.hours_per_credit / rule.step).to_integral_value(
            ROUND_FLOOR
        )
        credits = min(steps * rule.step, rule.max_credits, _target_credits(policy, rule.targets))
        if credits <= 0:
            reason = Reason.of("zero_credits", hours=outcome.hours)
            ctx.screening.refused[source.record_id].append(reason)
            continue
        ctx.screening.candidates.append(_single(ctx, rule, position, source, credits))
    if rule.accumulate is not None:
        _accumulated(ctx, rule, rule.accumulate, position, parts)


def _award_problem(ctx: _Context, rule: AwardRule, outcome: AwardOutcome) -> Reason | None:
    """Why an award does not meet the rule: competition, tier, track, level or prize."""
    competition = _competition(ctx.policy, outcome)
    if rule.competitions and (competition is None or competition.id not in rule.competitions):
        return Reason.of("competition", competition=outcome.competition)
    if rule.tier is not None and (competition is None or competition.tier != rule.tier):
        return Reason.of("competition_tier", competition=outcome.competition, tier=rule.tier)
    if rule.tracks:
        track = normalise_title(outcome.track or "")
        if track not in _normalised(rule.tracks):
            return Reason.of("unrelated_track", track=outcome.track or "-")
    if outcome.level.rank < rule.min_level.rank:
        return Reason.of("award_level", level=outcome.level.value, minimum=rule.min_level.value)
    if outcome.rank not in rule.ranks:
        return Reason.of("award_rank", rank=outcome.rank.value)
    return None


def _is_team(policy: Policy, outcome: AwardOutcome) -> bool:
    competition = _competition(policy, outcome)
    if competition is None or not outcome.track:
        return False
    track = normalise_title(outcome.track)
    return any(t.team for t in competition.tracks if normalise_title(t.name) == track)


def _award_candidates(ctx: _Context, rule: AwardRule, position: int) -> None:
    policy = ctx.policy
    parts: list[tuple[Decimal, SourceOutcome]] = []
    for source in ctx.by_kind.get(OutcomeKind.AWARD, ()):
        outcome = source.outcome
        if not isinstance(outcome, AwardOutcome):
            continue
        problem = _award_problem(ctx, rule, outcome) or _scope_problem(
            policy, rule.scope, source, ctx.on
        )
        if problem is not None:
            # A rule naming tracks or competitions came close only for awards it names.
            ctx.screening.refused[source.record_id].append(problem)
            ctx.screening.rule_misses[rule.id] = problem
            continue
        if rule.accumulate is not None:
            parts.append((rule.accumulate.part, source))
            continue
        team = _is_team(policy, outcome)
        credits = rule.team_credits if team and rule.team_credits is not None else rule.credits
        credits = min(credits, _target_credits(policy, rule.targets))
        ctx.screening.candidates.append(_single(ctx, rule, position, source, credits))
    if rule.accumulate is not None:
        _accumulated(ctx, rule, rule.accumulate, position, parts)


def _accumulated(
    ctx: _Context,
    rule: CertificateRule | TrainingRule | AwardRule,
    accumulate: Accumulate,
    position: int,
    parts: list[tuple[Decimal, SourceOutcome]],
) -> None:
    """Parts adding up inside one course: the fewest largest parts that fill it.

    A registrar's forced outcome into the course counts as its credits' share of the
    threshold; the candidate then is fixed (taken whatever the search would choose).
    """
    policy, screening = ctx.policy, ctx.screening
    if not parts and not ctx.forced_parts:
        return
    course = policy.programme.course(rule.targets[0])
    forced = [
        f for f in ctx.forced_parts.get(course.code, ()) if f.exception not in screening.absorbed
    ]
    forced_ids = {f.record_id for f in forced}
    parts = [(v, s) for v, s in parts if s.record_id not in forced_ids]
    if accumulate.combine is Combine.SUM_DISTINCT:
        best: dict[str, tuple[Decimal, SourceOutcome]] = {}
        for value, source in sorted(parts, key=lambda p: (-p[0], p[1].sort_key)):
            key = normalise_title(source.title)
            if key in best:
                screening.refused[source.record_id].append(
                    Reason.of("same_part", other=best[key][1].record_id)
                )
            else:
                best[key] = (value, source)
        parts = list(best.values())
    parts.sort(key=lambda p: (-p[0], p[1].sort_key))
    amount = sum(
        (f.credits * accumulate.fill_at / course.credits for f in forced if course.credits),
        Decimal(0),
    )
    chosen: list[SourceOutcome] = []
    for value, source in parts:
        if amount >= accumulate.fill_at:
            screening.refused[source.record_id].append(
                Reason.of("parts_enough", course=course.code)
            )
            continue
        chosen.append(source)
        amount += value
    if amount >= accumulate.fill_at:
        credits = course.credits
    elif accumulate.below.value == "proportional":
        exact = course.credits * amount / accumulate.fill_at / accumulate.step
        credits = exact.to_integral_value(ROUND_FLOOR) * accumulate.step
    else:
        credits = Decimal(0)
    credits = max(credits, sum((f.credits for f in forced), Decimal(0)))
    if credits <= 0:
        reason = Reason.of(
            "below_fill", course=course.code, amount=amount.normalize(), fill_at=accumulate.fill_at
        )
        for source in chosen:
            _refuse(ctx, rule, source, reason)
        return
    institution = forced[0].institution if forced else chosen[0].institution
    year = max([f.academic_year for f in forced] + [s.year(policy.year_basis) for s in chosen])
    candidate = make_candidate(
        policy,
        rule.id,
        position,
        tuple(f.record_id for f in forced) + tuple(s.record_id for s in chosen),
        rule.targets,
        credits,
        rule.kind,
        institution,
        year,
        exception=forced[0].exception if forced else None,
        partial=True,
    )
    if forced:
        screening.fixed.append(candidate)
        screening.absorbed.update(f.exception for f in forced)
    else:
        screening.candidates.append(candidate)
