"""An evaluation: a pure function of (the learner's outcomes, the policy, the date, exceptions).

It says, for every target course, what filled it or why nothing did, and for every source
outcome, where it went or why it was not used. The result's canonical JSON is hashed, so a
committed evaluation can be re-run later and compared byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from creditbank.canonical import canonical_json
from creditbank.records.outcomes import CourseOutcome
from creditbank.records.vocabulary import Attempt, OutcomeKind
from creditbank.rules.assign import Assignment, Limits, best_assignment, conflict, tally, violation
from creditbank.rules.candidates import (
    CATCH_ALL,
    Candidate,
    ForcedPart,
    SourceOutcome,
    course_grade,
    make_candidate,
    screen,
)
from creditbank.rules.policy import Caps, Category, CategoryCap, CourseRule, Policy, Rule
from creditbank.rules.reasons import Reason, no_source


@dataclass(frozen=True)
class Force:
    """A registrar's decision to recognise ``record_id`` for ``target`` (force or substitute).

    Into a course a rule fills by parts, the forced credits add up with the rule's parts.
    """

    record_id: str
    target: str
    credits: Decimal
    by: str
    why: str
    at: str | None = None  # when it was decided (ISO 8601), for decisions that record it


@dataclass(frozen=True)
class Waive:
    """A registrar's decision to waive ``target`` (免修) without a source outcome."""

    target: str
    by: str
    why: str
    at: str | None = None


@dataclass(frozen=True)
class Exclude:
    """A registrar's decision to leave ``record_id`` out of this learner's evaluation."""

    record_id: str
    by: str
    why: str
    at: str | None = None


@dataclass(frozen=True)
class SetCap:
    """A registrar's cap for this learner, replacing the policy's (``cap`` names which)."""

    cap: str  # total_credits, per_institution, per_academic_year, certificates,
    # per_kind.<kind>, per_category.<category>
    credits: Decimal
    by: str
    why: str
    at: str | None = None


@dataclass(frozen=True)
class SetCredits:
    """A registrar's decision that ``target`` carries ``credits`` for this learner."""

    target: str
    credits: Decimal
    by: str
    why: str
    at: str | None = None


Exception_ = Force | Waive | Exclude | SetCap | SetCredits

CAP_NAMES = (
    "total_credits",
    "per_institution",
    "per_academic_year",
    "certificates",
    *(f"per_kind.{kind.value}" for kind in OutcomeKind),
    *(f"per_category.{category.value}" for category in Category),
)
"""The caps a registrar may set for one learner."""


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one evaluation, ready to show, commit and hash."""

    body: dict[str, Any]

    @property
    def result_hash(self) -> str:
        """SHA-256 of the canonical JSON of the result."""
        return hashlib.sha256(canonical_json(self.body)).hexdigest()

    @property
    def recognised_credits(self) -> Decimal:
        """Credits recognised in total."""
        return Decimal(self.body["recognised_credits"])


def _limits(policy: Policy, exceptions: Sequence[Exception_] = ()) -> Limits:
    programme = policy.programme
    # Residency: credits that must be earned at the receiving institution cannot transfer.
    transferable = programme.total_credits - programme.residency_credits
    caps = policy.caps
    if caps.total_credits is None or transferable < caps.total_credits:
        caps = replace(caps, total_credits=transferable, total_name="total_credits")
    for item in exceptions:
        if isinstance(item, SetCap):
            caps = _set_cap(policy, caps, item)
    catch_all = None if policy.catch_all is None else programme.course(policy.catch_all).credits
    return Limits(caps, catch_all)


def _set_cap(policy: Policy, caps: Caps, item: SetCap) -> Caps:
    """``caps`` with one cap replaced by a registrar's, named as the registrar's."""
    name, _, part = item.cap.partition(".")
    value = item.credits
    if name == "total_credits":
        return replace(caps, total_credits=value, total_name=f"registrar.{item.cap}")
    if name == "per_institution":
        return replace(caps, per_institution=value)
    if name == "per_academic_year":
        return replace(caps, per_academic_year=value)
    if name == "certificates":
        return replace(caps, certificates=int(value))
    if name == "per_kind":
        kinds = dict(caps.per_kind)
        kinds[OutcomeKind(part)] = value
        return replace(caps, per_kind=tuple(sorted(kinds.items())))
    category = Category(part)
    kept = tuple(c for c in caps.per_category if c.category is not category)
    added = CategoryCap(category, value, "registrar.per_category")
    return replace(caps, per_category=tuple(sorted((*kept, added), key=lambda c: c.category)))


def _with_credits(policy: Policy, exceptions: Sequence[Exception_]) -> Policy:
    """The policy with the course credits registrars set for this learner."""
    credits = {e.target: e.credits for e in exceptions if isinstance(e, SetCredits)}
    if not credits:
        return policy
    programme = policy.programme
    courses = tuple(
        replace(c, credits=credits[c.code]) if c.code in credits else c for c in programme.courses
    )
    return replace(policy, programme=replace(programme, courses=courses))


def _accumulating_courses(policy: Policy) -> set[str]:
    return {
        rule.targets[0]
        for rule in policy.rules
        if not isinstance(rule, CourseRule) and rule.accumulate is not None
    }


def _forced_parts(
    policy: Policy, exceptions: Sequence[Exception_], sources: dict[str, SourceOutcome]
) -> dict[str, list[ForcedPart]]:
    """Forced outcomes into courses a rule fills by parts: they add to the parts."""
    courses = _accumulating_courses(policy)
    found: dict[str, list[ForcedPart]] = {}
    for position, item in enumerate(exceptions):
        if isinstance(item, Force) and item.target in courses:
            source = sources[item.record_id]
            found.setdefault(item.target, []).append(
                ForcedPart(
                    position,
                    item.record_id,
                    item.credits,
                    source.institution,
                    source.year(policy.year_basis),
                )
            )
    return found


def _forced(
    policy: Policy,
    exceptions: Sequence[Exception_],
    sources: dict[str, SourceOutcome],
    absorbed: set[int],
) -> list[Candidate]:
    fixed = []
    for position, item in enumerate(exceptions):
        if position in absorbed:
            continue
        if isinstance(item, Force):
            source = sources[item.record_id]
            fixed.append(
                make_candidate(
                    policy,
                    f"force-{position}",
                    -1,
                    (item.record_id,),
                    (item.target,),
                    item.credits,
                    source.kind,
                    source.institution,
                    source.year(policy.year_basis),
                    exception=position,
                )
            )
        elif isinstance(item, Waive):
            course = policy.programme.course(item.target)
            fixed.append(
                make_candidate(
                    policy,
                    f"waive-{position}",
                    -1,
                    (),
                    (item.target,),
                    course.credits,
                    OutcomeKind.COURSE,
                    policy.programme.institution,
                    0,
                    exception=position,
                )
            )
    return fixed


def evaluate(
    policy: Policy,
    sources: Sequence[SourceOutcome],
    on: date,
    exceptions: Sequence[Exception_] = (),
    applies_on: date | None = None,
) -> Evaluation:
    """Evaluate ``sources`` against ``policy`` on ``on``, with registrars' ``exceptions``.

    The policy must be in effect on ``applies_on`` when given (the learner's entry date or
    intake, for a policy whose versions apply by them), else on ``on``; the result then
    states ``applies_on``.
    """
    policy = _with_credits(policy, exceptions)
    by_id = {source.record_id: source for source in sources}
    excluded = {e.record_id: e for e in exceptions if isinstance(e, Exclude)}
    window = on if applies_on is None else applies_on
    in_effect = policy.effective_from <= window and (
        policy.effective_until is None or window <= policy.effective_until
    )
    limits = _limits(policy, exceptions)
    screening = screen(
        policy,
        [s for s in sources if s.record_id not in excluded],
        on,
        _forced_parts(policy, exceptions, by_id) if in_effect else None,
    )
    candidates = screening.candidates if in_effect else []
    fixed = [*screening.fixed, *_forced(policy, exceptions, by_id, screening.absorbed)]
    assignment = best_assignment(candidates, limits, fixed)
    outcome_reasons = _why_left_out(candidates, assignment, limits, screening.refused, exceptions)
    for record, item in excluded.items():
        outcome_reasons[record] = [Reason.of("excluded", who=item.by, why=item.why)]
    courses = _course_results(
        policy,
        assignment,
        rule_misses=screening.rule_misses,
        exceptions=exceptions,
        in_effect=in_effect,
        on=window,
        sources=by_id,
    )
    outcomes = _outcome_results(
        policy,
        sources,
        assignment,
        outcome_reasons=outcome_reasons,
        exceptions=exceptions,
        in_effect=in_effect,
        on=window,
    )
    recognised = sum((Decimal(str(c["recognised_credits"])) for c in courses), Decimal(0))
    body = {
        "policy": {"id": policy.id, "version": policy.version, "hash": policy.content_hash},
        "on": on.isoformat(),
        "in_effect": in_effect,
        "programme": policy.programme.code,
        "total_credits": str(policy.programme.total_credits),
        "recognised_credits": str(recognised),
        "remaining_credits": str(policy.programme.total_credits - recognised),
        "missing": [c["code"] for c in courses if c["recognised_credits"] == "0"],
        "courses": courses,
        "outcomes": outcomes,
        "exceptions": [exception_json(e) for e in exceptions],
    }
    if applies_on is not None:
        body["applies_on"] = applies_on.isoformat()
    if screening.unmet_gates:
        body["unmet_gates"] = [
            {"id": g.id, "title_zh": g.title_zh, "title_en": g.title_en}
            for g in screening.unmet_gates
        ]
    return Evaluation(body)


def _key(candidate: Candidate) -> tuple[str, tuple[str, ...]]:
    return candidate.rule_id, candidate.outcomes


def _why_left_out(
    candidates: Sequence[Candidate],
    assignment: Assignment,
    limits: Limits,
    refused: dict[str, list[Reason]],
    exceptions: Sequence[Exception_],
) -> dict[str, list[Reason]]:
    """For each outcome, every reason it was not used (rules, conflicts, caps)."""
    chosen = {_key(c) for c in assignment.chosen}
    state = tally(assignment.chosen)
    filled_by = {target: c for c in assignment.chosen for target in c.targets}
    used_by = {record: c for c in assignment.chosen for record in c.outcomes}
    reasons: dict[str, list[Reason]] = {k: list(v) for k, v in refused.items()}
    for candidate in candidates:
        if _key(candidate) in chosen:
            continue
        if conflict(state, candidate):
            taken = [r for r in candidate.outcomes if r in used_by]
            if taken:
                reason = Reason.of("outcome_used", rule=used_by[taken[0]].rule_id)
            else:
                target = next(t for t in candidate.targets if t in filled_by)
                reason = Reason.of("target_filled", course=target, rule=filled_by[target].rule_id)
        else:
            reason = _cap_reason(violation(state, candidate, limits), exceptions)
        for record in candidate.outcomes:
            if record not in used_by:
                reasons.setdefault(record, []).append(reason)
    return reasons


def _cap_reason(cap: str | None, exceptions: Sequence[Exception_]) -> Reason:
    """The cap an outcome ran into, named as what it is: residency, category, registrar's."""
    cap = cap or "total_credits"
    if cap.startswith("registrar."):
        name = cap.removeprefix("registrar.").split(" ")[0]
        item = next(
            (e for e in exceptions if isinstance(e, SetCap) and e.cap == name),
            None,
        )
        if item is not None:
            return Reason.of(
                "registrar_cap", cap=cap.removeprefix("registrar."), who=item.by, why=item.why
            )
    if cap.startswith("residency"):
        return Reason.of("residency_cap", cap=cap)
    if cap.startswith("per_category"):
        return Reason.of("category_cap", cap=cap)
    return Reason.of("cap", cap=cap)


def _recorded(
    policy: Policy, candidate: Candidate, sources: dict[str, SourceOutcome]
) -> dict[str, Any] | None:
    """How the recognised course is recorded, when the policy or its rule says."""
    courses = [
        source
        for record in candidate.outcomes
        if (source := sources.get(record)) is not None and isinstance(source.outcome, CourseOutcome)
    ]
    how = _recordings(policy).get(candidate.rule_id) or policy.record_as
    makeup = policy.makeup
    if (
        makeup is not None
        and makeup.record_as is not None
        and any(
            isinstance(s.outcome, CourseOutcome) and s.outcome.attempt is Attempt.MAKEUP
            for s in courses
        )
    ):
        how = makeup.record_as  # a course recognised from a 补考 pass
    if how is None:
        return None
    if how == "outside_gpa":
        return {"grade": "免修", "in_gpa": False}
    if how == "converted":
        grades = [course_grade(policy, source) for source in courses]
        known = [g for g in grades if g is not None]
        if known:
            return {"grade": str(min(known)), "in_gpa": True}
        return {"grade": "合格", "in_gpa": True}
    return {"grade": how, "in_gpa": True}


def _course_results(
    policy: Policy,
    assignment: Assignment,
    *,
    rule_misses: dict[str, Reason],
    exceptions: Sequence[Exception_],
    in_effect: bool,
    on: date,
    sources: dict[str, SourceOutcome],
) -> list[dict[str, Any]]:
    """For each target course: what filled it, or why nothing did."""
    filled_by = {target: c for c in assignment.chosen for target in c.targets}
    catch_all = [c for c in assignment.chosen if c.catch_all]
    by_target = _rules_by_target(policy)
    results = []
    for course, static in zip(policy.programme.courses, _course_fields(policy), strict=True):
        extra: dict[str, Any] = {}
        if course.code == policy.catch_all:
            recognised = sum((c.credits for c in catch_all), Decimal(0))
            filled = [{"rule": CATCH_ALL, "records": list(c.outcomes)} for c in catch_all]
            reason = (
                Reason.of("catch_all", course=course.code) if recognised else Reason.of("unfilled")
            )
            reasons = [reason.to_json()]
        elif (filler := filled_by.get(course.code)) is not None:
            recognised = dict(filler.shares).get(course.code, Decimal(0))
            filled = [{"rule": filler.rule_id, "records": list(filler.outcomes)}]
            reasons = [_decision_reason(filler, exceptions).to_json()]
            if filler.partial:
                extra["partial"] = recognised < course.credits
            recorded = _recorded(policy, filler, sources)
            if recorded is not None:
                extra["recorded_as"] = recorded
        else:
            recognised, filled = Decimal(0), []
            rules = by_target.get(course.code, ())
            listed = [rule_misses.get(r.id) or no_source(r.id) for r in rules]
            if not in_effect:
                listed = [Reason.of("not_effective", date=on.isoformat())]
            reasons = [r.to_json() for r in listed or [Reason.of("unfilled")]]
        results.append(
            {
                **static,
                "recognised_credits": str(recognised),
                "filled_by": filled,
                "reasons": reasons,
                **extra,
            }
        )
    return results


def _outcome_results(
    policy: Policy,
    sources: Sequence[SourceOutcome],
    assignment: Assignment,
    *,
    outcome_reasons: dict[str, list[Reason]],
    exceptions: Sequence[Exception_],
    in_effect: bool,
    on: date,
) -> list[dict[str, Any]]:
    """For each source outcome: where it went, or why it was not used."""
    used_by = {record: c for c in assignment.chosen for record in c.outcomes}
    forced_records = {
        e.record_id: position for position, e in enumerate(exceptions) if isinstance(e, Force)
    }
    results = []
    for source in sorted(sources, key=lambda s: s.sort_key):
        used = used_by.get(source.record_id)
        if used is not None and used.catch_all:
            reasons = [Reason.of("catch_all", course=policy.catch_all).to_json()]
            targets = [policy.catch_all]
        elif used is not None:
            decision = _decision_reason(used, exceptions)
            if used.partial and used.exception is not None:
                position = forced_records.get(source.record_id)
                decision = (
                    _decision_reason(replace(used, exception=position), exceptions)
                    if position is not None
                    else Reason.of("recognised", rule=used.rule_id)
                )
            reasons = [decision.to_json()]
            targets = list(used.targets)
        else:
            listed = outcome_reasons.get(source.record_id) or [Reason.of("no_rule")]
            excluded = any(r.code == "excluded" for r in listed)
            if not in_effect and not excluded:
                listed = [Reason.of("not_effective", date=on.isoformat())]
            reasons = [reason.to_json() for reason in _unique(listed)]
            targets = []
        results.append(
            {
                "record": source.record_id,
                "kind": source.kind.value,
                "title": source.title,
                "institution": source.institution,
                "used": used is not None,
                "rule": None if used is None else used.rule_id,
                "targets": targets,
                "credits": None if used is None else str(used.credits),
                "reasons": reasons,
            }
        )
    return results


# Keyed by identity: hashing a whole policy by value on every call would cost more than this.
_BY_TARGET: dict[int, tuple[Policy, dict[str, tuple[Rule, ...]]]] = {}


def _rules_by_target(policy: Policy) -> dict[str, tuple[Rule, ...]]:
    """Which rules can fill each course (computed once per loaded policy)."""
    cached = _BY_TARGET.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    found: dict[str, list[Rule]] = {}
    for rule in policy.rules:
        for target in rule.targets:
            found.setdefault(target, []).append(rule)
    index = {code: tuple(rules) for code, rules in found.items()}
    if len(_BY_TARGET) > 256:
        _BY_TARGET.clear()
    _BY_TARGET[id(policy)] = (policy, index)
    return index


_COURSE_FIELDS: dict[int, tuple[Policy, tuple[dict[str, Any], ...]]] = {}


def _course_fields(policy: Policy) -> tuple[dict[str, Any], ...]:
    """The fields of each programme course's result that do not depend on the learner."""
    cached = _COURSE_FIELDS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    fields = tuple(
        {
            "code": course.code,
            "title_zh": course.title_zh,
            "title_en": course.title_en,
            "credits": str(course.credits),
            "category": course.category.value,
        }
        for course in policy.programme.courses
    )
    if len(_COURSE_FIELDS) > 256:
        _COURSE_FIELDS.clear()
    _COURSE_FIELDS[id(policy)] = (policy, fields)
    return fields


_RECORDINGS: dict[int, tuple[Policy, dict[str, str]]] = {}


def _recordings(policy: Policy) -> dict[str, str]:
    """Rule id -> how the rule's courses are recorded, for rules that say (once per policy)."""
    cached = _RECORDINGS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    index = {r.id: r.record_as for r in policy.rules if r.record_as is not None}
    if len(_RECORDINGS) > 256:
        _RECORDINGS.clear()
    _RECORDINGS[id(policy)] = (policy, index)
    return index


def _unique(reasons: Sequence[Reason]) -> list[Reason]:
    seen: list[Reason] = []
    for reason in reasons:
        if reason not in seen:
            seen.append(reason)
    return seen


def _decision_reason(candidate: Candidate, exceptions: Sequence[Exception_]) -> Reason:
    if candidate.exception is None:
        return Reason.of("recognised", rule=candidate.rule_id)
    item = exceptions[candidate.exception]
    if candidate.partial and isinstance(item, Force):
        return Reason.of("forced_parts", who=item.by, why=item.why, rule=candidate.rule_id)
    code = "forced" if isinstance(item, Force) else "waived"
    assert isinstance(item, Force | Waive)
    return Reason.of(code, who=item.by, why=item.why)


def exception_json(item: Exception_) -> dict[str, Any]:
    """An exception as recorded (in the result, in the log and in the stored evaluation)."""
    when = {} if item.at is None else {"at": item.at}
    if isinstance(item, Force):
        return {
            "type": "force",
            "record": item.record_id,
            "target": item.target,
            "credits": str(item.credits),
            "by": item.by,
            "why": item.why,
            **when,
        }
    if isinstance(item, Waive):
        return {"type": "waive", "target": item.target, "by": item.by, "why": item.why, **when}
    if isinstance(item, Exclude):
        return {"type": "exclude", "record": item.record_id, "by": item.by, "why": item.why, **when}
    if isinstance(item, SetCap):
        return {
            "type": "cap",
            "cap": item.cap,
            "credits": str(item.credits),
            "by": item.by,
            "why": item.why,
            **when,
        }
    return {
        "type": "credits",
        "target": item.target,
        "credits": str(item.credits),
        "by": item.by,
        "why": item.why,
        **when,
    }


def exception_from_json(raw: Mapping[str, Any]) -> Exception_:
    """The exception :func:`exception_json` recorded."""
    at = raw.get("at")
    kind = raw["type"]
    if kind == "force":
        return Force(
            raw["record"], raw["target"], Decimal(raw["credits"]), raw["by"], raw["why"], at
        )
    if kind == "waive":
        return Waive(raw["target"], raw["by"], raw["why"], at)
    if kind == "exclude":
        return Exclude(raw["record"], raw["by"], raw["why"], at)
    if kind == "cap":
        return SetCap(raw["cap"], Decimal(raw["credits"]), raw["by"], raw["why"], at)
    return SetCredits(raw["target"], Decimal(raw["credits"]), raw["by"], raw["why"], at)
