"""Choosing which candidates to recognise: the most credits the policy allows.

A first-match engine takes rules in order and can lose credits: a rule that grabs an outcome
another rule needed more, or a small rule that fills a cap before a larger one. This search
considers every combination (depth-first, including before excluding, pruning with an upper
bound) and keeps the best: the most credits; among equals, the first found when candidates
are tried in ``Candidate.order`` (more credits first, then policy rule order, then outcome
ids), which is deterministic and independent of the order records were posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from creditbank.records.vocabulary import OutcomeKind
from creditbank.rules.candidates import Candidate
from creditbank.rules.policy import Caps


@dataclass(frozen=True)
class Limits:
    """Caps and capacities a chosen set must respect (None: unlimited)."""

    caps: Caps
    catch_all_credits: Decimal | None  # the catch-all elective's credits (None: no catch-all)


@dataclass
class Tally:
    """What a set of chosen candidates uses up: outcomes, courses, and credits per cap."""

    used_outcomes: set[str] = field(default_factory=set)
    filled: set[str] = field(default_factory=set)
    total: Decimal = Decimal(0)
    per_kind: dict[OutcomeKind, Decimal] = field(default_factory=dict)
    per_institution: dict[str, Decimal] = field(default_factory=dict)
    per_year: dict[int, Decimal] = field(default_factory=dict)
    certificates: int = 0
    catch_all: Decimal = Decimal(0)


def violation(state_or_none: Tally | None, candidate: Candidate, limits: Limits) -> str | None:
    """Which cap adding ``candidate`` to a chosen set would break, or None."""
    state = state_or_none or Tally()
    caps = limits.caps
    credits = candidate.credits
    if caps.total_credits is not None and state.total + credits > caps.total_credits:
        return f"total_credits {caps.total_credits}"
    kind_cap = dict(caps.per_kind).get(candidate.kind)
    if kind_cap is not None and state.per_kind.get(candidate.kind, Decimal(0)) + credits > kind_cap:
        return f"per_kind.{candidate.kind.value} {kind_cap}"
    institution = state.per_institution.get(candidate.institution, Decimal(0))
    if caps.per_institution is not None and institution + credits > caps.per_institution:
        return f"per_institution {caps.per_institution} ({candidate.institution})"
    year = state.per_year.get(candidate.academic_year, Decimal(0))
    if caps.per_academic_year is not None and year + credits > caps.per_academic_year:
        return f"per_academic_year {caps.per_academic_year} ({candidate.academic_year})"
    if (
        caps.certificates is not None
        and candidate.kind is OutcomeKind.CERTIFICATE
        and state.certificates + 1 > caps.certificates
    ):
        return f"certificates {caps.certificates}"
    if candidate.catch_all and (
        limits.catch_all_credits is None or state.catch_all + credits > limits.catch_all_credits
    ):
        return f"catch_all {limits.catch_all_credits}"
    return None


def conflict(state: Tally, candidate: Candidate) -> bool:
    """True when the candidate needs an outcome already used or a course already filled."""
    return bool(state.used_outcomes.intersection(candidate.outcomes)) or bool(
        state.filled.intersection(candidate.targets)
    )


def add(state: Tally, candidate: Candidate) -> None:
    """Count ``candidate`` into ``state``."""
    state.used_outcomes.update(candidate.outcomes)
    state.filled.update(candidate.targets)
    state.total += candidate.credits
    state.per_kind[candidate.kind] = (
        state.per_kind.get(candidate.kind, Decimal(0)) + candidate.credits
    )
    state.per_institution[candidate.institution] = (
        state.per_institution.get(candidate.institution, Decimal(0)) + candidate.credits
    )
    state.per_year[candidate.academic_year] = (
        state.per_year.get(candidate.academic_year, Decimal(0)) + candidate.credits
    )
    state.certificates += candidate.kind is OutcomeKind.CERTIFICATE
    state.catch_all += candidate.credits if candidate.catch_all else Decimal(0)


def remove(state: Tally, candidate: Candidate) -> None:
    """Take ``candidate`` back out of ``state``."""
    state.used_outcomes.difference_update(candidate.outcomes)
    state.filled.difference_update(candidate.targets)
    state.total -= candidate.credits
    state.per_kind[candidate.kind] -= candidate.credits
    state.per_institution[candidate.institution] -= candidate.credits
    state.per_year[candidate.academic_year] -= candidate.credits
    state.certificates -= candidate.kind is OutcomeKind.CERTIFICATE
    state.catch_all -= candidate.credits if candidate.catch_all else Decimal(0)


@dataclass(frozen=True)
class Assignment:
    """The chosen candidates and the search effort."""

    chosen: tuple[Candidate, ...]
    credits: Decimal
    nodes: int


def best_assignment(
    candidates: Sequence[Candidate], limits: Limits, fixed: Sequence[Candidate] = ()
) -> Assignment:
    """The set of candidates recognising the most credits within the limits.

    ``fixed`` candidates (registrars' forced decisions) are taken first and unconditionally.
    """
    ordered = sorted(candidates, key=lambda c: c.order)
    state = Tally()
    for candidate in fixed:
        add(state, candidate)
    # suffix[i]: credits of candidates i.. (an upper bound on what is still reachable).
    suffix = [Decimal(0)] * (len(ordered) + 1)
    for i in range(len(ordered) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + ordered[i].credits
    ceiling = limits.caps.total_credits
    best: list[Candidate] = []
    best_credits = Decimal(-1)
    chosen: list[Candidate] = []
    nodes = 0

    def search(i: int) -> None:
        nonlocal best, best_credits, nodes
        nodes += 1
        bound = state.total + suffix[i]
        if ceiling is not None:
            bound = min(bound, max(ceiling, state.total))
        if bound <= best_credits:
            return
        if i == len(ordered):
            best, best_credits = list(chosen), state.total
            return
        candidate = ordered[i]
        if not conflict(state, candidate) and violation(state, candidate, limits) is None:
            add(state, candidate)
            chosen.append(candidate)
            search(i + 1)
            chosen.pop()
            remove(state, candidate)
        search(i + 1)

    search(0)
    return Assignment(tuple(fixed) + tuple(best), max(best_credits, state.total), nodes)


def first_match(candidates: Sequence[Candidate], limits: Limits) -> Assignment:
    """What a first-match engine recognises: candidates in policy rule order, greedily.

    Kept to show, in tests and explanations, what the search gains over it.
    """
    state = Tally()
    chosen = []
    for candidate in sorted(candidates, key=lambda c: (c.rule_position, c.outcomes)):
        if not conflict(state, candidate) and violation(state, candidate, limits) is None:
            add(state, candidate)
            chosen.append(candidate)
    return Assignment(tuple(chosen), state.total, len(candidates))


def tally(candidates: Sequence[Candidate]) -> Tally:
    """The tally of a chosen set."""
    state = Tally()
    for candidate in candidates:
        add(state, candidate)
    return state
