"""Versions of one policy (catalog years): their periods, and which applies to a learner.

A version is in force from its ``effective_from`` until the day before the next version's
(or its own ``effective_until``, if earlier). The version applying to a learner is the one in
force on the date the policy chooses by (``applies_by``): the evaluation's date, the
learner's entry date, or the start of the learner's intake year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from creditbank.errors import FieldProblem, InvalidInput, NotFound
from creditbank.rules.policy import AppliesBy, Policy


@dataclass(frozen=True)
class Period:
    """When a version is in force (``until`` inclusive; None: open-ended)."""

    policy: Policy
    start: date
    until: date | None


def ordered(versions: Sequence[Policy]) -> list[Policy]:
    """Oldest first (by ``effective_from``, then version)."""
    return sorted(versions, key=lambda p: (p.effective_from, p.version))


def periods(versions: Sequence[Policy]) -> list[Period]:
    """Each version with the period it is in force, oldest first."""
    listed = ordered(versions)
    found = []
    for position, policy in enumerate(listed):
        until = policy.effective_until
        if position + 1 < len(listed):
            before_next = listed[position + 1].effective_from - timedelta(days=1)
            until = before_next if until is None else min(until, before_next)
        found.append(Period(policy, policy.effective_from, until))
    return found


def in_force(versions: Sequence[Policy], on: date) -> Policy | None:
    """The version in force on ``on``, if any."""
    for period in periods(versions):
        if period.start <= on and (period.until is None or on <= period.until):
            return period.policy
    return None


def intake_start(policy: Policy, intake: int) -> date:
    """The day an intake year starts, as the policy states (1 September by default)."""
    month, day = policy.intake_starts
    if (month, day) == (2, 29):
        day = 29 if intake % 4 == 0 and (intake % 100 != 0 or intake % 400 == 0) else 28
    return date(intake, month, day)


@dataclass(frozen=True)
class Choice:
    """The version chosen for an evaluation, and the date it was chosen by.

    ``applies_on`` is None when the evaluation's own date chose it (the evaluation's window
    check then uses that date, as it always has).
    """

    policy: Policy
    applies_on: date | None


def choose(
    versions: Sequence[Policy],
    *,
    on: date,
    entered_on: date | None = None,
    intake: int | None = None,
    version: str | None = None,
) -> Choice:
    """The version that applies to a learner evaluated on ``on``.

    ``version`` names one outright (the registrar's explicit choice); otherwise the newest
    version's ``applies_by`` says which date chooses: ``entry_date`` needs ``entered_on``,
    ``intake`` needs ``intake`` (a year). Under ``evaluation_date`` a date before every
    version gets the oldest (which then recognises nothing, ``not_effective``).
    """
    if not versions:
        raise NotFound("no such policy")
    listed = ordered(versions)
    policy_id = listed[0].id
    if version is not None:
        named = [p for p in listed if p.version == version]
        if not named:
            raise NotFound(f"no version {version!r} of policy {policy_id!r}")
        chosen = named[0]
        basis = _basis_date(chosen, on, entered_on, intake, required=False)
        evaluation_date = chosen.applies_by is AppliesBy.EVALUATION_DATE
        return Choice(chosen, None if evaluation_date else basis)
    newest = listed[-1]
    basis = _basis_date(newest, on, entered_on, intake, required=True)
    found = in_force(listed, basis)
    if newest.applies_by is AppliesBy.EVALUATION_DATE:
        return Choice(found or _nearest(listed, basis), None)
    if found is None:
        raise InvalidInput(
            f"no version of {policy_id} is in force on {basis.isoformat()}",
            problems=[
                FieldProblem(
                    "entered_on" if newest.applies_by is AppliesBy.ENTRY_DATE else "intake",
                    "no version of this policy applies to it",
                )
            ],
        )
    return Choice(found, basis)


def _nearest(listed: list[Policy], on: date) -> Policy:
    started = [p for p in listed if p.effective_from <= on]
    return started[-1] if started else listed[0]


def _basis_date(
    policy: Policy, on: date, entered_on: date | None, intake: int | None, *, required: bool
) -> date:
    if policy.applies_by is AppliesBy.ENTRY_DATE:
        if entered_on is not None:
            return entered_on
        if required:
            raise InvalidInput(
                f"{policy.id} applies by the learner's entry date: give entered_on",
                problems=[FieldProblem("entered_on", "required by this policy")],
            )
    if policy.applies_by is AppliesBy.INTAKE:
        if intake is not None:
            return intake_start(policy, intake)
        if required:
            raise InvalidInput(
                f"{policy.id} applies by the learner's intake year: give intake",
                problems=[FieldProblem("intake", "required by this policy (e.g. 2026)")],
            )
    return on
