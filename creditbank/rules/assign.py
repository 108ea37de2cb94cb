"""Choosing which candidates to recognise: the most credits the policy allows.

A first-match engine takes rules in order and can lose credits: a rule that grabs an outcome
another rule needed more, or a small rule that fills a cap before a larger one. This search
considers every combination (depth-first, including before excluding, pruning with an upper
bound) and keeps the best: the most rule credits, then the most catch-all credits (the
elective takes what the rules leave, so a tie among rule assignments goes to the one leaving
it most); among equals, the first found when rule candidates, then catch-all candidates, are
tried in ``Candidate.order`` (more credits first, then policy rule order, then outcome ids),
which is deterministic and independent of the order records were posted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from creditbank.records.vocabulary import OutcomeKind
from creditbank.rules.candidates import Candidate
from creditbank.rules.milp import best_by_milp
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
    per_category: dict[str, Decimal] = field(default_factory=dict)


def violation(state_or_none: Tally | None, candidate: Candidate, limits: Limits) -> str | None:
    """Which cap adding ``candidate`` to a chosen set would break, or None."""
    state = state_or_none or Tally()
    caps = limits.caps
    credits = candidate.credits
    if caps.total_credits is not None and state.total + credits > caps.total_credits:
        return f"{caps.total_name} {caps.total_credits}"
    for cap in caps.per_category:
        for category, share in candidate.categories:
            if (
                category == cap.category
                and state.per_category.get(category, 0) + share > cap.credits
            ):
                return f"{cap.name}.{category} {cap.credits}"
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
    return not state.used_outcomes.isdisjoint(candidate.outcomes) or not state.filled.isdisjoint(
        candidate.targets
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
    for category, share in candidate.categories:
        state.per_category[category] = state.per_category.get(category, Decimal(0)) + share


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
    for category, share in candidate.categories:
        state.per_category[category] -= share


@dataclass(frozen=True)
class Assignment:
    """The chosen candidates and the search effort."""

    chosen: tuple[Candidate, ...]
    credits: Decimal
    nodes: int


def _bound(state: Tally, remaining: Sequence[Candidate], limits: Limits) -> Decimal:
    """An upper bound on the credits reachable from ``state`` with ``remaining`` candidates."""
    return _bounds(state, remaining, limits)[2]


def _bounds(
    state: Tally, remaining: Sequence[Candidate], limits: Limits
) -> tuple[Decimal, Decimal, Decimal]:
    """Upper bounds on rule, catch-all and all credits reachable with ``remaining``.

    Each course is filled once and each outcome used once, so among the candidates still
    possible that share a (first) course, or a (first) outcome, only the largest can count.
    The same holds within each academic year, each capped kind and each capped category,
    where the caps still open bound the sum too; at most the open number of certificates
    count; catch-all credits are bounded by what the elective has left; nothing passes the
    total cap.
    """
    caps = limits.caps
    zero = Decimal(0)
    used, filled = state.used_outcomes, state.filled
    by_year = caps.per_academic_year is not None
    capped_kinds = {kind for kind, _ in caps.per_kind}
    if caps.certificates is not None:
        capped_kinds.add(OutcomeKind.CERTIFICATE)
    category_room = _category_room(state, caps)
    per_target: dict[str, Decimal] = {}
    per_outcome: dict[str, Decimal] = {}
    per_year: dict[tuple[int, str], Decimal] = {}
    per_kind: dict[tuple[OutcomeKind, str], Decimal] = {}
    per_category: dict[tuple[str, str], Decimal] = {}
    certificates: dict[str, Decimal] = {}
    uncapped: dict[str, Decimal] = {}  # kinds no cap counts, as in the course option
    kind_of: dict[str, OutcomeKind] = {}
    catch = zero
    for candidate in remaining:
        if not used.isdisjoint(candidate.outcomes) or not filled.isdisjoint(candidate.targets):
            continue
        credits = candidate.credits
        if candidate.catch_all:
            catch += credits
            continue
        key = candidate.targets[0] if candidate.targets else candidate.rule_id
        if per_target.get(key, zero) < credits:
            per_target[key] = credits
        source = candidate.outcomes[0] if candidate.outcomes else candidate.rule_id
        if per_outcome.get(source, zero) < credits:
            per_outcome[source] = credits
            kind_of[source] = candidate.kind
        if by_year and per_year.get((candidate.academic_year, key), zero) < credits:
            per_year[(candidate.academic_year, key)] = credits
        kind = candidate.kind
        if kind in capped_kinds:
            if per_kind.get((kind, key), zero) < credits:
                per_kind[(kind, key)] = credits
            if kind is OutcomeKind.CERTIFICATE and certificates.get(source, zero) < credits:
                certificates[source] = credits
        elif uncapped.get(key, zero) < credits:
            uncapped[key] = credits
        if category_room:
            rest = credits
            for category, share in candidate.categories:
                rest -= share
                if per_category.get((category, key), zero) < share:
                    per_category[(category, key)] = share
            if rest > zero and per_category.get(("", key), zero) < rest:
                per_category[("", key)] = rest
    options = [
        sum(per_target.values(), zero),
        _outcome_option(state, per_outcome, kind_of, caps)
        if capped_kinds
        else sum(per_outcome.values(), zero),
        _year_option(state, per_year, caps) if by_year else None,
        _kind_option(state, per_kind, certificates, caps) + sum(uncapped.values(), zero)
        if per_kind
        else None,
        _category_option(per_category, category_room) if per_category else None,
    ]
    return _combined(state, min(o for o in options if o is not None), catch, limits)


def _combined(
    state: Tally, rules: Decimal, catch: Decimal, limits: Limits
) -> tuple[Decimal, Decimal, Decimal]:
    """The three bounds from what rules and the elective could still add."""
    if limits.catch_all_credits is not None:
        catch = min(catch, limits.catch_all_credits - state.catch_all)
    catch = max(catch, Decimal(0))
    reached = state.total + rules
    bound = reached + catch
    ceiling = limits.caps.total_credits
    if ceiling is None:
        return reached - state.catch_all, state.catch_all + catch, bound
    ceiling = max(ceiling, state.total)
    return min(reached, ceiling) - state.catch_all, state.catch_all + catch, min(bound, ceiling)


def _category_room(state: Tally, caps: Caps) -> dict[str, Decimal]:
    """What each capped category has left (the smallest, where two caps count it)."""
    room: dict[str, Decimal] = {}
    for cap in caps.per_category:
        left = cap.credits - state.per_category.get(cap.category, Decimal(0))
        room[cap.category] = min(left, room.get(cap.category, left))
    return room


def _outcome_option(
    state: Tally,
    per_outcome: dict[str, Decimal],
    kind_of: dict[str, OutcomeKind],
    caps: Caps,
) -> Decimal:
    """Each outcome once, at its best; per capped kind, within the kind's open caps.

    Certificates count at most the open number of them, the largest first.
    """
    zero = Decimal(0)
    kinds: dict[OutcomeKind, list[Decimal]] = {}
    for source, credits in per_outcome.items():
        kinds.setdefault(kind_of[source], []).append(credits)
    total = zero
    kind_caps = dict(caps.per_kind)
    for kind, values in kinds.items():
        counted = values
        if kind is OutcomeKind.CERTIFICATE and caps.certificates is not None:
            room = max(caps.certificates - state.certificates, 0)
            counted = sorted(values, reverse=True)[:room]
        reach = sum(counted, zero)
        cap = kind_caps.get(kind)
        if cap is not None:
            reach = min(reach, max(cap - state.per_kind.get(kind, zero), zero))
        total += reach
    return total


def _year_option(state: Tally, per_year: dict[tuple[int, str], Decimal], caps: Caps) -> Decimal:
    """Per academic year, the most each course can add, within the year's open cap."""
    assert caps.per_academic_year is not None
    zero = Decimal(0)
    years: dict[int, Decimal] = {}
    for (year, _), credits in per_year.items():
        years[year] = years.get(year, zero) + credits
    return sum(
        (
            min(total, caps.per_academic_year - state.per_year.get(year, zero))
            for year, total in years.items()
        ),
        zero,
    )


def _kind_option(
    state: Tally,
    per_kind: dict[tuple[OutcomeKind, str], Decimal],
    certificates: dict[str, Decimal],
    caps: Caps,
) -> Decimal:
    """Per capped kind, the most each course can add, within the kind's open caps."""
    zero = Decimal(0)
    kinds: dict[OutcomeKind, Decimal] = {}
    for (kind, _), credits in per_kind.items():
        kinds[kind] = kinds.get(kind, zero) + credits
    if caps.certificates is not None and OutcomeKind.CERTIFICATE in kinds:
        room = max(caps.certificates - state.certificates, 0)
        best = sorted(certificates.values(), reverse=True)[:room]
        kinds[OutcomeKind.CERTIFICATE] = min(kinds[OutcomeKind.CERTIFICATE], sum(best, zero))
    for kind, cap in caps.per_kind:
        if kind in kinds:
            kinds[kind] = min(kinds[kind], max(cap - state.per_kind.get(kind, zero), zero))
    return sum(kinds.values(), zero)


def _category_option(
    per_category: dict[tuple[str, str], Decimal], room: dict[str, Decimal]
) -> Decimal:
    """Per category, the most each course can add, within the category's open caps."""
    zero = Decimal(0)
    categories: dict[str, Decimal] = {}
    for (category, _), share in per_category.items():
        categories[category] = categories.get(category, zero) + share
    return sum(
        (
            min(total, max(room[category], zero)) if category in room else total
            for category, total in categories.items()
        ),
        zero,
    )


def _signature(candidate: Candidate) -> tuple[Decimal, str, int, str]:
    """Catch-all candidates with equal signatures are interchangeable for every cap."""
    return (candidate.credits, candidate.institution, candidate.academic_year, candidate.kind)


NODE_BUDGET = 3_000
"""Nodes a branch-and-bound search may visit before the group goes to the MILP solver."""


class _OverBudget(Exception):
    pass


def _by_milp(
    ordered: Sequence[Candidate],
    limits: Limits,
    fixed: Sequence[Candidate],
    rules_goal: Decimal | None = None,
    blocked: frozenset[str] = frozenset(),
) -> list[Candidate]:
    state = tally(fixed)
    state.used_outcomes |= blocked
    caps = limits.caps
    room: dict[str, Decimal] = {}
    if caps.total_credits is not None:
        room["total"] = caps.total_credits - state.total
    per_kind = {k: cap - state.per_kind.get(k, Decimal(0)) for k, cap in caps.per_kind}
    institutions = {c.institution for c in ordered}
    years = {c.academic_year for c in ordered}
    return best_by_milp(
        ordered,
        used_outcomes=set(state.used_outcomes),
        filled=set(state.filled),
        room=room,
        room_per_kind=per_kind,
        room_per_institution=None
        if caps.per_institution is None
        else {
            i: caps.per_institution - state.per_institution.get(i, Decimal(0)) for i in institutions
        },
        room_per_year=None
        if caps.per_academic_year is None
        else {y: caps.per_academic_year - state.per_year.get(y, Decimal(0)) for y in years},
        certificates_left=None
        if caps.certificates is None
        else caps.certificates - state.certificates,
        catch_all_left=None
        if limits.catch_all_credits is None
        else limits.catch_all_credits - state.catch_all,
        room_per_category={
            cap.category.value: cap.credits - state.per_category.get(cap.category.value, Decimal(0))
            for cap in caps.per_category
        },
        rules_at_least=rules_goal,
    )


def _search(
    ordered: Sequence[Candidate],
    limits: Limits,
    fixed: Sequence[Candidate],
    blocked: frozenset[str] = frozenset(),
) -> tuple[list[Candidate], Decimal, int]:
    """Depth-first branch and bound over ``ordered`` from the state ``fixed`` makes.

    A search that passes :data:`NODE_BUDGET` nodes hands the group to :func:`_by_milp`,
    which returns the same assignment.
    """
    try:
        return _branch_and_bound(ordered, limits, fixed, blocked)
    except _OverBudget:
        chosen = _by_milp(ordered, limits, fixed, blocked=blocked)
        return chosen, tally([*fixed, *chosen]).total, NODE_BUDGET


def _greedy(state: Tally, ordered: Sequence[Candidate], limits: Limits) -> list[Candidate]:
    """Every candidate that fits, in order: the search's first leaf (``state`` is restored)."""
    taken = []
    for candidate in ordered:
        if not conflict(state, candidate) and violation(state, candidate, limits) is None:
            add(state, candidate)
            taken.append(candidate)
    for candidate in taken:
        remove(state, candidate)
    return taken


def _branch_and_bound(
    ordered: Sequence[Candidate],
    limits: Limits,
    fixed: Sequence[Candidate],
    blocked: frozenset[str] = frozenset(),
) -> tuple[list[Candidate], Decimal, int]:
    state = tally(fixed)
    state.used_outcomes |= blocked  # outcomes kept out (see _rule_ties)
    # The search's first leaf takes every candidate that fits, in order. When that reaches
    # the bound, no later leaf can do better and the search would keep it: stop there.
    first = _greedy(state, ordered, limits)
    reached = state.total + sum((c.credits for c in first), Decimal(0))
    if len(first) == len(ordered) or reached >= _bound(state, ordered, limits):
        return first, reached, 1
    best: list[Candidate] = []
    best_credits = Decimal(-1)
    chosen: list[Candidate] = []
    skipped: dict[tuple[Decimal, str, int, str], int] = {}
    nodes = 0

    def search(i: int) -> None:
        nonlocal best, best_credits, nodes
        nodes += 1
        if nodes > NODE_BUDGET:
            raise _OverBudget
        if i == len(ordered):
            if state.total > best_credits:
                best, best_credits = list(chosen), state.total
            return
        # Two candidates left or fewer: trying them costs less than bounding them.
        if len(ordered) - i > 2 and _bound(state, ordered[i:], limits) <= best_credits:
            return
        _take_or_leave(
            ordered[i],
            state,
            chosen,
            skipped=skipped,
            limits=limits,
            descend=lambda: search(i + 1),
        )

    search(0)
    return best, best_credits, nodes


def _take_or_leave(
    candidate: Candidate,
    state: Tally,
    chosen: list[Candidate],
    *,
    skipped: dict[tuple[Decimal, str, int, str], int],
    limits: Limits,
    descend: Callable[[], None],
) -> None:
    """One branching step of a search: with ``candidate`` (when it fits), then without it.

    Leaving out a catch-all candidate that could have been taken makes the later ones like it
    pointless to take (same credits, same caps): they would give only an equal result, later.
    """
    signature = _signature(candidate) if candidate.catch_all else None
    blocked = signature is not None and skipped.get(signature, 0) > 0
    feasible = (
        not blocked
        and not conflict(state, candidate)
        and violation(state, candidate, limits) is None
    )
    if feasible:
        add(state, candidate)
        chosen.append(candidate)
        descend()
        chosen.pop()
        remove(state, candidate)
    symmetric = signature if feasible else None
    if symmetric is not None:
        skipped[symmetric] = skipped.get(symmetric, 0) + 1
    descend()
    if symmetric is not None:
        skipped[symmetric] -= 1


def _rule_credits(state: Tally) -> Decimal:
    return state.total - state.catch_all


def _lexicographic(
    ordered: Sequence[Candidate],
    limits: Limits,
    fixed: Sequence[Candidate],
    rules_goal: Decimal,
    total_floor: Decimal,
) -> tuple[list[Candidate], int]:
    """The first best assignment of ``ordered`` among those keeping ``rules_goal`` rule credits.

    ``rules_goal`` is the most rule credits the group allows; the best recognises the most
    credits in all, that is the most catch-all credits.

    ``ordered`` holds the group's rule candidates, then its catch-all candidates, each part in
    ``Candidate.order``; ``total_floor`` is what one such assignment is known to reach, so
    branches that cannot reach it are cut from the start. Past :data:`NODE_BUDGET` nodes the
    same question goes to the MILP solver.
    """
    try:
        return _lexicographic_search(ordered, limits, fixed, rules_goal, total_floor)
    except _OverBudget:
        return _by_milp(ordered, limits, fixed, rules_goal), NODE_BUDGET


def _lexicographic_search(
    ordered: Sequence[Candidate],
    limits: Limits,
    fixed: Sequence[Candidate],
    rules_goal: Decimal,
    total_floor: Decimal,
) -> tuple[list[Candidate], int]:
    state = tally(fixed)
    goal = _rule_credits(state) + rules_goal
    best: list[Candidate] = []
    best_total = state.total + total_floor
    found = False
    chosen: list[Candidate] = []
    skipped: dict[tuple[Decimal, str, int, str], int] = {}
    nodes = 0

    def search(i: int) -> None:
        nonlocal best, best_total, found, nodes
        nodes += 1
        if nodes > NODE_BUDGET:
            raise _OverBudget
        if i == len(ordered):
            if _rule_credits(state) == goal and (
                state.total > best_total or (not found and state.total == best_total)
            ):
                best, best_total, found = list(chosen), state.total, True
            return
        rules_bound, catch_bound, total_bound = _bounds(state, ordered[i:], limits)
        # A leaf keeps exactly ``goal`` rule credits: the rest can only come from the elective.
        total_bound = min(total_bound, goal + catch_bound)
        if rules_bound < goal or total_bound < best_total:
            return
        if found and total_bound == best_total:
            return
        _take_or_leave(
            ordered[i],
            state,
            chosen,
            skipped=skipped,
            limits=limits,
            descend=lambda: search(i + 1),
        )

    search(0)
    return best, nodes


def _catch_all_room(
    catch_all: Sequence[Candidate], limits: Limits, state: Tally, rules: Decimal
) -> Decimal:
    """The most catch-all credits possible from ``state`` once ``rules`` rule credits are in.

    The largest sum of credits of catch-all candidates it leaves open (one per outcome)
    that fits within the elective and the total cap: a knapsack over whole tenths.
    """
    room: Decimal | None = None
    if limits.catch_all_credits is not None:
        room = limits.catch_all_credits - state.catch_all
    if limits.caps.total_credits is not None:
        left = limits.caps.total_credits - state.total - rules
        room = left if room is None else min(room, left)
    per_outcome: dict[tuple[str, ...], Decimal] = {}
    for candidate in catch_all:
        if not conflict(state, candidate):
            best = per_outcome.get(candidate.outcomes, Decimal(0))
            per_outcome[candidate.outcomes] = max(best, candidate.credits)
    total = sum(per_outcome.values(), Decimal(0))
    if room is None or total <= room:
        return total
    if room <= 0:
        return Decimal(0)
    limit = int(room * 10)
    reachable = 1  # bit n set: n tenths reachable
    mask = (1 << (limit + 1)) - 1
    for credits in per_outcome.values():
        reachable |= (reachable << int(credits * 10)) & mask
    return Decimal(reachable.bit_length() - 1) / 10


def _binding_groups(
    candidates: Sequence[Candidate], limits: Limits, fixed: Sequence[Candidate]
) -> list[list[int]]:
    """Groups of candidates that a cap could couple: caps that cannot bind couple nothing.

    A cap binds only if the candidates it counts (plus the fixed ones) could exceed it.
    """
    caps = limits.caps
    everything = [*fixed, *candidates]

    def total(selector: Any) -> Decimal:
        return sum((c.credits for c in everything if selector(c)), Decimal(0))

    groups: list[list[int]] = []
    positions = range(len(candidates))
    if caps.total_credits is not None and total(lambda c: True) > caps.total_credits:
        return [list(positions)]
    for kind, cap in caps.per_kind:
        if total(lambda c, k=kind: c.kind is k) > cap:
            groups.append([i for i in positions if candidates[i].kind is kind])
    if caps.certificates is not None:
        certificates = [c for c in everything if c.kind is OutcomeKind.CERTIFICATE]
        if len({c.outcomes for c in certificates}) > caps.certificates:
            groups.append([i for i in positions if candidates[i].kind is OutcomeKind.CERTIFICATE])
    if caps.per_institution is not None:
        for institution in {c.institution for c in everything}:
            if total(lambda c, n=institution: c.institution == n) > caps.per_institution:
                groups.append([i for i in positions if candidates[i].institution == institution])
    if caps.per_academic_year is not None:
        for year in {c.academic_year for c in everything}:
            if total(lambda c, y=year: c.academic_year == y) > caps.per_academic_year:
                groups.append([i for i in positions if candidates[i].academic_year == year])
    for category_cap in caps.per_category:
        name = category_cap.category.value
        shares = [dict(c.categories).get(name, Decimal(0)) for c in everything]
        if sum(shares, Decimal(0)) > category_cap.credits:
            groups.append([i for i in positions if name in dict(candidates[i].categories)])
    return groups


def components(
    candidates: Sequence[Candidate], limits: Limits, fixed: Sequence[Candidate] = ()
) -> list[list[Candidate]]:
    """Split candidates into groups that can be solved apart.

    Two groups are apart when they share no outcome, no course, no catch-all capacity, and
    no cap that could bind.
    """
    parent = list(range(len(candidates)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(group: Sequence[int]) -> None:
        for other in group[1:]:
            parent[find(other)] = find(group[0])

    by_key: dict[tuple[str, str], list[int]] = {}
    for position, candidate in enumerate(candidates):
        for outcome in candidate.outcomes:
            by_key.setdefault(("outcome", outcome), []).append(position)
        for target in candidate.targets:
            by_key.setdefault(("target", target), []).append(position)
        if candidate.catch_all:
            by_key.setdefault(("catch-all", ""), []).append(position)
    for group in by_key.values():
        join(group)
    for group in _binding_groups(candidates, limits, fixed):
        if group:
            join(group)
    split: dict[int, list[Candidate]] = {}
    for position, candidate in enumerate(candidates):
        split.setdefault(find(position), []).append(candidate)
    return list(split.values())


def best_assignment(
    candidates: Sequence[Candidate], limits: Limits, fixed: Sequence[Candidate] = ()
) -> Assignment:
    """The set of candidates recognising the most credits within the limits.

    Rules come first: the best assignment recognises the most rule credits and, among the
    assignments that do, the most catch-all credits (the elective takes the excess credits
    of courses no rule used, as policies mean it); among equals, the first in search order
    (rule candidates, then catch-all candidates, each in ``Candidate.order``).
    ``fixed`` candidates (registrars' forced decisions) are taken first and unconditionally.

    The search prunes with the bound of :func:`_bound`, and with symmetry among
    interchangeable catch-all candidates (once one is left out, the later ones like it are
    left out too: taking them instead would only give an equal assignment, found later).
    Groups of rule candidates that cannot affect each other (see :func:`components`) are
    solved apart; the best of each, together, is the best overall and the one a single
    search in the same order would find first. The catch-all elective then takes the most it
    can of what the rules left. When it could have taken more had the rules used other
    outcomes for the same credits (a tie among rule assignments), the group the elective
    shares outcomes or binding caps with is searched again for both at once
    (:func:`_lexicographic`).
    """
    rules = [c for c in candidates if not c.catch_all]
    catch_all = sorted((c for c in candidates if c.catch_all), key=lambda c: c.order)
    chosen: list[Candidate] = []
    nodes = 0
    for group in components(rules, limits, fixed):
        best, _, group_nodes = _search(sorted(group, key=lambda c: c.order), limits, fixed)
        chosen += best
        nodes += group_nodes
    if catch_all:
        best, _, group_nodes = _search(catch_all, limits, [*fixed, *chosen])
        nodes += group_nodes
        chosen, group_nodes = _rule_ties(
            rules, catch_all, limits, fixed=fixed, chosen_rules=chosen, chosen_catch_all=best
        )
        nodes += group_nodes
    chosen.sort(key=lambda c: c.order)
    credits = sum((c.credits for c in (*fixed, *chosen)), Decimal(0))
    return Assignment(tuple(fixed) + tuple(chosen), credits, nodes)


def _rule_ties(
    rules: Sequence[Candidate],
    catch_all: Sequence[Candidate],
    limits: Limits,
    *,
    fixed: Sequence[Candidate],
    chosen_rules: Sequence[Candidate],
    chosen_catch_all: Sequence[Candidate],
) -> tuple[list[Candidate], int]:
    """The rule and catch-all candidates to keep, once ties among rule assignments are used.

    Nothing changes unless the elective could take more than it did: then the group of
    rules coupled with it (shared outcomes or caps that could bind) is searched again, for
    the same rule credits and the most credits in all.
    """
    taken = [*chosen_rules, *chosen_catch_all]
    caught = sum((c.credits for c in chosen_catch_all), Decimal(0))
    every_rule = sum((c.credits for c in chosen_rules), Decimal(0))
    if caught >= _catch_all_room(catch_all, limits, tally(fixed), every_rule):
        return taken, 0  # the elective is as full as it can be, whichever rules were used
    groups = components([*rules, *catch_all], limits, fixed)
    group = next(g for g in groups if any(c.catch_all for c in g))
    members = {id(c) for c in group}
    outside = [c for c in chosen_rules if id(c) not in members]
    inside = [c for c in chosen_rules if id(c) in members]
    goal = sum((c.credits for c in inside), Decimal(0))
    base = [*fixed, *outside]
    start = tally(base)
    if caught >= _catch_all_room(catch_all, limits, start, goal):
        return taken, 0
    group_rules = sorted((c for c in group if not c.catch_all), key=lambda c: c.order)
    # A catch-all candidate whose outcome every rule assignment reaching ``goal`` uses can
    # never be taken: those the bound shows, among the outcomes the rules took, drop out.
    by_rules = {o for c in inside for o in c.outcomes}
    essential = set()
    for outcome in {c.outcomes for c in catch_all if not by_rules.isdisjoint(c.outcomes)}:
        fresh = set(outcome) - start.used_outcomes
        start.used_outcomes |= fresh
        rules_bound, _, _ = _bounds(start, group_rules, limits)
        start.used_outcomes -= fresh
        if rules_bound - _rule_credits(start) < goal:
            essential.add(outcome)
    open_ = [c for c in catch_all if c.outcomes not in essential]
    if caught >= _catch_all_room(open_, limits, start, goal):
        return taken, 0
    ordered = [*group_rules, *open_]
    best, nodes = _lexicographic(ordered, limits, base, goal, goal + caught)
    return [*outside, *best], nodes


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
