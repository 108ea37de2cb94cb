"""An evaluation: a pure function of (the learner's outcomes, the policy, the date, exceptions).

It says, for every target course, what filled it or why nothing did, and for every source
outcome, where it went or why it was not used. The result's canonical JSON is hashed, so a
committed evaluation can be re-run later and compared byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from creditbank.canonical import canonical_json
from creditbank.records.vocabulary import OutcomeKind
from creditbank.rules.assign import Assignment, Limits, best_assignment, conflict, tally, violation
from creditbank.rules.candidates import CATCH_ALL, Candidate, SourceOutcome, screen
from creditbank.rules.policy import Policy, Rule
from creditbank.rules.reasons import Reason, no_source


@dataclass(frozen=True)
class Force:
    """A registrar's decision to recognise ``record_id`` for ``target`` (force or substitute)."""

    record_id: str
    target: str
    credits: Decimal
    by: str
    why: str


@dataclass(frozen=True)
class Waive:
    """A registrar's decision to waive ``target`` (免修) without a source outcome."""

    target: str
    by: str
    why: str


Exception_ = Force | Waive


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


def _limits(policy: Policy) -> Limits:
    programme = policy.programme
    # Residency: credits that must be earned at the receiving institution cannot transfer.
    transferable = programme.total_credits - programme.residency_credits
    total = policy.caps.total_credits
    total = transferable if total is None else min(total, transferable)
    caps = type(policy.caps)(
        total_credits=total,
        per_kind=policy.caps.per_kind,
        per_institution=policy.caps.per_institution,
        per_academic_year=policy.caps.per_academic_year,
        certificates=policy.caps.certificates,
    )
    catch_all = None if policy.catch_all is None else programme.course(policy.catch_all).credits
    return Limits(caps, catch_all)


def _forced(
    policy: Policy, exceptions: Sequence[Exception_], sources: dict[str, SourceOutcome]
) -> list[Candidate]:
    fixed = []
    for position, item in enumerate(exceptions):
        if isinstance(item, Force):
            source = sources[item.record_id]
            fixed.append(
                Candidate(
                    f"force-{position}",
                    -1,
                    (item.record_id,),
                    (item.target,),
                    item.credits,
                    source.kind,
                    source.institution,
                    source.academic_year,
                )
            )
        else:
            course = policy.programme.course(item.target)
            fixed.append(
                Candidate(
                    f"waive-{position}",
                    -1,
                    (),
                    (item.target,),
                    course.credits,
                    OutcomeKind.COURSE,
                    policy.programme.institution,
                    0,
                )
            )
    return fixed


def evaluate(
    policy: Policy,
    sources: Sequence[SourceOutcome],
    on: date,
    exceptions: Sequence[Exception_] = (),
) -> Evaluation:
    """Evaluate ``sources`` against ``policy`` on ``on``."""
    by_id = {source.record_id: source for source in sources}
    in_effect = policy.effective_from <= on and (
        policy.effective_until is None or on <= policy.effective_until
    )
    limits = _limits(policy)
    screening = screen(policy, sources, on)
    candidates = screening.candidates if in_effect else []
    assignment = best_assignment(candidates, limits, _forced(policy, exceptions, by_id))
    outcome_reasons = _why_left_out(candidates, assignment, limits, screening.refused)
    courses = _course_results(
        policy,
        assignment,
        rule_misses=screening.rule_misses,
        exceptions=exceptions,
        in_effect=in_effect,
        on=on,
    )
    outcomes = _outcome_results(
        policy,
        sources,
        assignment,
        outcome_reasons=outcome_reasons,
        exceptions=exceptions,
        in_effect=in_effect,
        on=on,
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
        "exceptions": [_exception_json(e) for e in exceptions],
    }
    return Evaluation(body)


def _key(candidate: Candidate) -> tuple[str, tuple[str, ...]]:
    return candidate.rule_id, candidate.outcomes


def _why_left_out(
    candidates: Sequence[Candidate],
    assignment: Assignment,
    limits: Limits,
    refused: dict[str, list[Reason]],
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
            reason = Reason.of("cap", cap=violation(state, candidate, limits) or "total_credits")
        for record in candidate.outcomes:
            if record not in used_by:
                reasons.setdefault(record, []).append(reason)
    return reasons


def _course_results(
    policy: Policy,
    assignment: Assignment,
    *,
    rule_misses: dict[str, Reason],
    exceptions: Sequence[Exception_],
    in_effect: bool,
    on: date,
) -> list[dict[str, Any]]:
    """For each target course: what filled it, or why nothing did."""
    filled_by = {target: c for c in assignment.chosen for target in c.targets}
    catch_all = [c for c in assignment.chosen if c.catch_all]
    results = []
    for course in policy.programme.courses:
        if course.code == policy.catch_all:
            recognised = sum((c.credits for c in catch_all), Decimal(0))
            filled = [{"rule": CATCH_ALL, "records": list(c.outcomes)} for c in catch_all]
            reason = (
                Reason.of("catch_all", course=course.code) if recognised else Reason.of("unfilled")
            )
            reasons = [reason.to_json()]
        elif (filler := filled_by.get(course.code)) is not None:
            share = filler.credits if len(filler.targets) == 1 else course.credits
            recognised = min(share, course.credits)
            filled = [{"rule": filler.rule_id, "records": list(filler.outcomes)}]
            reasons = [_decision_reason(filler, exceptions).to_json()]
        else:
            recognised, filled = Decimal(0), []
            rules = _rules_by_target(policy).get(course.code, ())
            listed = [rule_misses.get(r.id) or no_source(r.id) for r in rules]
            if not in_effect:
                listed = [Reason.of("not_effective", date=on.isoformat())]
            reasons = [r.to_json() for r in listed or [Reason.of("unfilled")]]
        results.append(
            {
                "code": course.code,
                "title_zh": course.title_zh,
                "title_en": course.title_en,
                "credits": str(course.credits),
                "category": course.category.value,
                "recognised_credits": str(recognised),
                "filled_by": filled,
                "reasons": reasons,
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
    results = []
    for source in sorted(sources, key=lambda s: s.sort_key):
        used = used_by.get(source.record_id)
        if used is not None and used.catch_all:
            reasons = [Reason.of("catch_all", course=policy.catch_all).to_json()]
            targets = [policy.catch_all]
        elif used is not None:
            reasons = [_decision_reason(used, exceptions).to_json()]
            targets = list(used.targets)
        else:
            listed = outcome_reasons.get(source.record_id) or [Reason.of("no_rule")]
            if not in_effect:
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


def _unique(reasons: Sequence[Reason]) -> list[Reason]:
    seen: list[Reason] = []
    for reason in reasons:
        if reason not in seen:
            seen.append(reason)
    return seen


def _decision_reason(candidate: Candidate, exceptions: Sequence[Exception_]) -> Reason:
    if candidate.rule_id.startswith(("force-", "waive-")):
        item = exceptions[int(candidate.rule_id.split("-")[1])]
        code = "forced" if isinstance(item, Force) else "waived"
        return Reason.of(code, who=item.by, why=item.why)
    return Reason.of("recognised", rule=candidate.rule_id)


def _exception_json(item: Exception_) -> dict[str, Any]:
    if isinstance(item, Force):
        return {
            "type": "force",
            "record": item.record_id,
            "target": item.target,
            "credits": str(item.credits),
            "by": item.by,
            "why": item.why,
        }
    return {"type": "waive", "target": item.target, "by": item.by, "why": item.why}
