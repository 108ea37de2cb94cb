"""The exact fallback for large, tightly coupled groups: integer programming (SciPy's HiGHS).

Branch and bound answers almost every learner in a few hundred nodes; a group of many
candidates under binding caps can take far more. Then the same question goes to a MILP
solver: first the most credits, then, candidate by candidate in the search order, whether an
optimal assignment can include it. That is the same answer the search gives (the optimum
found first in that order), in a bounded number of small solves.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from creditbank.records.vocabulary import OutcomeKind
from creditbank.rules.candidates import Candidate

_TENTHS = Decimal(10)


def _tenths(value: Decimal) -> float:
    # Credits have one decimal place: as whole tenths the solver's arithmetic is exact.
    return float((value * _TENTHS).to_integral_value())


def _exclusive_rows(
    ordered: Sequence[Candidate], used_outcomes: set[str], filled: set[str]
) -> list[tuple[np.ndarray, float]]:
    """Each outcome used once, each course filled once (none, if already used or filled)."""
    rows = []
    for outcome in {o for c in ordered for o in c.outcomes}:
        picks = np.array([1.0 if outcome in c.outcomes else 0.0 for c in ordered])
        rows.append((picks, 0.0 if outcome in used_outcomes else 1.0))
    for target in {t for c in ordered for t in c.targets}:
        picks = np.array([1.0 if target in c.targets else 0.0 for c in ordered])
        rows.append((picks, 0.0 if target in filled else 1.0))
    return rows


def _keeping_rules(
    ordered: Sequence[Candidate], credits: np.ndarray, rules_at_least: Decimal | None
) -> list[LinearConstraint]:
    """At least ``rules_at_least`` rule (not catch-all) credits, if given."""
    if rules_at_least is None:
        return []
    by_rule = credits * np.array([not c.catch_all for c in ordered], dtype=float)
    return [LinearConstraint(by_rule, _tenths(rules_at_least), np.inf)]


def best_by_milp(
    ordered: Sequence[Candidate],
    *,
    used_outcomes: set[str],
    filled: set[str],
    room: dict[str, Decimal],
    room_per_kind: dict[OutcomeKind, Decimal],
    room_per_institution: dict[str, Decimal] | None,
    room_per_year: dict[int, Decimal] | None,
    certificates_left: int | None,
    catch_all_left: Decimal | None,
    room_per_category: dict[str, Decimal] | None = None,
    rules_at_least: Decimal | None = None,
) -> list[Candidate]:
    """The candidates of ``ordered`` an optimal assignment takes, first in ``ordered`` order.

    ``room`` holds the total credits still open (key ``"total"``, absent: no cap); the other
    arguments are what the fixed candidates left of each cap and capacity. With
    ``rules_at_least`` (the most rule credits the group allows) only assignments keeping that
    many rule credits count: the most credits among them is the most catch-all credits.
    """
    count = len(ordered)
    if count == 0:
        return []
    credits = np.array([_tenths(c.credits) for c in ordered])
    rows: list[np.ndarray] = []
    upper: list[float] = []

    def limit(selector: np.ndarray, bound: float) -> None:
        rows.append(selector)
        upper.append(bound)

    allowed = np.ones(count)
    for row, bound in _exclusive_rows(ordered, used_outcomes, filled):
        limit(row, bound)
    if "total" in room:
        limit(credits, _tenths(room["total"]))
    for kind, left in room_per_kind.items():
        limit(credits * np.array([c.kind is kind for c in ordered], dtype=float), _tenths(left))
    if room_per_institution is not None:
        for institution, left in room_per_institution.items():
            mask = np.array([c.institution == institution for c in ordered], dtype=float)
            limit(credits * mask, _tenths(left))
    if room_per_year is not None:
        for year, left in room_per_year.items():
            mask = np.array([c.academic_year == year for c in ordered], dtype=float)
            limit(credits * mask, _tenths(left))
    if certificates_left is not None:
        mask = np.array([c.kind is OutcomeKind.CERTIFICATE for c in ordered], dtype=float)
        limit(mask, float(certificates_left))
    if catch_all_left is not None:
        mask = np.array([c.catch_all for c in ordered], dtype=float)
        limit(credits * mask, _tenths(catch_all_left))
    for category, left in (room_per_category or {}).items():
        shares = np.array([_tenths(dict(c.categories).get(category, Decimal(0))) for c in ordered])
        limit(shares, _tenths(left))
    matrix = np.vstack(rows)
    constraints = [
        LinearConstraint(matrix, -np.inf, np.array(upper)),
        *_keeping_rules(ordered, credits, rules_at_least),
    ]
    lower_bounds, upper_bounds = np.zeros(count), allowed.copy()

    def solve(extra: list[LinearConstraint]) -> np.ndarray | None:
        result = milp(
            -credits,
            constraints=[*constraints, *extra],
            integrality=np.ones(count),
            bounds=Bounds(lower_bounds, upper_bounds),
        )
        return None if result.x is None else np.round(result.x)

    first = solve([])
    if first is None:
        return []
    optimum = float(credits @ first)
    keep_optimum = [LinearConstraint(credits, optimum, np.inf)]
    decided = first
    for i in range(count):
        if upper_bounds[i] == 0:
            continue
        if decided[i] == 1:
            lower_bounds[i] = 1  # an optimum takes it: keep it taken
            continue
        lower_bounds[i] = 1
        trial = solve(keep_optimum)
        if trial is None:
            lower_bounds[i], upper_bounds[i] = 0, 0
        else:
            decided = trial
    return [c for c, x in zip(ordered, decided, strict=True) if x == 1]
