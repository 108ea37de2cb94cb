"""Who may post an outcome from whom: the poster, its source, and the delegation between them.

The poster is the institution whose key posted the record (never a field of the body). An
outcome's source is the member it is from: a course names it (``source_institution``); the
other kinds are from their poster. A source other than the poster must be a member that
delegated that kind of outcome to the poster, by a delegation on the log in force now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from creditbank.errors import DelegationMissing, FieldProblem, UnknownInstitution
from creditbank.institutions.service import institution_t, require_member
from creditbank.records.delegations import DelegationView, covering_delegations
from creditbank.records.outcomes import CourseOutcome, Outcome
from creditbank.storage.database import among

_IN_CHUNK = 500


def source_of(outcome: Outcome, poster: str) -> str:
    """The member an outcome is from: a course's ``source_institution``, else its poster."""
    return outcome.source_institution if isinstance(outcome, CourseOutcome) else poster


@dataclass(frozen=True)
class Authorship:
    """One outcome's poster, source and, when they differ, the delegation allowing it."""

    poster: str
    source: str
    delegation: DelegationView | None

    def payload(self) -> dict[str, Any] | None:
        """What a record's entry commits about the delegation, or None when self-posted."""
        if self.delegation is None:
            return None
        return {"id": self.delegation.id, "index": self.delegation.granted_index}


def _members(connection: Connection, codes: Sequence[str]) -> dict[str, datetime | None]:
    """Each of ``codes`` that is a member, with when it left (None if it has not)."""
    wanted = sorted(set(codes))
    found: dict[str, datetime | None] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = connection.execute(
            select(institution_t.c.code, institution_t.c.left_at).where(
                among(connection, institution_t.c.code, wanted[start : start + _IN_CHUNK])
            )
        )
        found.update((row.code, row.left_at) for row in rows)
    return found


def check_authorship(
    connection: Connection, poster: str, outcomes: Sequence[Outcome], *, now: datetime
) -> list[Authorship]:
    """The authorship of each outcome ``poster`` posts at ``now``, or the refusal of all.

    InstitutionLeft (403) when the poster has left the bank; UnknownInstitution (422) naming
    every item whose source is not a member; DelegationMissing (403) naming every item whose
    source delegated nothing of its kind to the poster in force now. Read inside the writing
    transaction, so a delegation ended concurrently is seen.
    """
    require_member(connection, poster)
    sources = [source_of(outcome, poster) for outcome in outcomes]
    members = _members(connection, sources)
    unknown = [
        FieldProblem("source_institution", f"{source!r} is not a member institution", index)
        for index, source in enumerate(sources)
        if source not in members
    ]
    if unknown:
        raise UnknownInstitution(
            f"{len(unknown)} of {len(outcomes)} records name a source that is not a member "
            "institution; nothing was posted",
            problems=unknown,
        )
    others = [source for source in sources if source != poster]
    found = covering_delegations(connection, poster, others, at=now)
    answers: list[Authorship] = []
    missing: list[FieldProblem] = []
    gaps: set[tuple[str, str]] = set()
    own = Authorship(poster, poster, None)  # immutable: one value for every self-posted item
    for index, (outcome, source) in enumerate(zip(outcomes, sources, strict=True)):
        if source == poster:
            answers.append(own)
            continue
        delegation = found.get((source, outcome.kind.value))
        if delegation is None:
            gaps.add((source, outcome.kind.value))
            left = members[source]
            why = f"; {source} left the bank on {left.date().isoformat()}" if left else ""
            missing.append(
                FieldProblem(
                    "source_institution",
                    f"no delegation from {source} to {poster} for {outcome.kind.value} "
                    f"outcomes is in force{why}",
                    index,
                )
            )
            continue
        answers.append(Authorship(poster, source, delegation))
    if missing:
        named = "; ".join(f"from {source} for {kind}" for source, kind in sorted(gaps))
        raise DelegationMissing(
            f"{poster} may post outcomes from another member only under a delegation on the "
            f"log; none in force {named}. Nothing was posted",
            extra={"errors": [problem.as_dict() for problem in missing]},
        )
    return answers
