"""The ``authorship`` check: who posted a record, from whom, and what let them.

A record's committed payload names its poster (``institution``, the member whose key posted
it) and its outcome names its source (a course's ``source_institution``; other kinds are
from their poster). When the two differ, the payload names the delegation it was posted
under, and the record carries that delegation's own ledger evidence. The check, offline:

1. the delegation's evidence opens and is included under a checkpoint the log's keys sign;
2. its entry is a ``delegation.granted`` by the source or the bank, before the record's;
3. it names the source as delegator, the poster as delegate and the record's kind;
4. the record's entry time lies within its effective period.

An ending of the delegation is a later entry the bank checked when the record was posted;
an auditor holding the log can check it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.errors import EvidenceInvalid
from creditbank.ledger.envelope import EntryKind
from creditbank.transcripts.evidence import CheckpointCache, ProvenEntry, check_evidence

_RECORDS = {EntryKind.RECORD_POSTED.value, EntryKind.RECORD_CORRECTED.value}


@dataclass(frozen=True)
class Author:
    """Who posted a record and whom it is from; ``delegation`` when they differ."""

    poster: str
    source: str
    delegation: int | None = None


def author_of(kind: str, payload: Mapping[str, Any]) -> Author | None:
    """The poster and source a record entry's payload states (None for other entries)."""
    if kind not in _RECORDS:
        return None
    poster = str(payload.get("institution"))
    outcome = payload.get("outcome")
    source = poster
    if isinstance(outcome, Mapping) and outcome.get("kind") == "course":
        source = str(outcome.get("source_institution"))
    delegation = payload.get("delegation")
    index = delegation.get("index") if isinstance(delegation, Mapping) else None
    return Author(poster, source, index if type(index) is int else None)


def _grant_problem(
    grant: ProvenEntry, record: ProvenEntry, author: Author, outcome_kind: str, delegation: Any
) -> str | None:
    """Why a proven entry is not a delegation covering the record (None when it is)."""
    payload = grant.payload
    if grant.kind != EntryKind.DELEGATION_GRANTED.value:
        return f"ledger entry {grant.index} is a {grant.kind}, not a delegation.granted"
    if grant.actor not in ("bank", f"institution:{author.source}"):
        return f"delegation {grant.index} was registered by {grant.actor}, not {author.source}"
    if payload.get("delegation") != delegation.get("id"):
        return f"delegation {grant.index} is not the one the record names"
    if payload.get("delegator") != author.source or payload.get("delegate") != author.poster:
        return (
            f"delegation {grant.index} is from {payload.get('delegator')} to "
            f"{payload.get('delegate')}, not from {author.source} to {author.poster}"
        )
    kinds = payload.get("kinds")
    if not isinstance(kinds, list) or outcome_kind not in kinds:
        return f"delegation {grant.index} does not cover {outcome_kind} outcomes"
    if grant.index >= record.index:
        return f"delegation {grant.index} was logged after the record ({record.index})"
    start, until = payload.get("effective_from"), payload.get("effective_until")
    # Log times are one fixed format (ms, UTC, Z), so they compare as text.
    if not isinstance(start, str) or record.time < start:
        return f"the record ({record.time}) predates delegation {grant.index} ({start})"
    if until is not None and (not isinstance(until, str) or record.time >= until):
        return f"the record ({record.time}) is after delegation {grant.index} ended ({until})"
    return None


def check_authorship(
    record: ProvenEntry, evidence: Sequence[Any], checkpoints: CheckpointCache
) -> tuple[str | None, str]:
    """(Why the record's authorship does not hold or None, what it establishes)."""
    author = author_of(record.kind, record.payload)
    if author is None:
        return None, ""
    outcome = record.payload.get("outcome")
    outcome_kind = str(outcome.get("kind")) if isinstance(outcome, Mapping) else ""
    if author.source == author.poster:
        return None, f"posted by {author.poster}"
    delegation = record.payload.get("delegation")
    if author.delegation is None or not isinstance(delegation, Mapping):
        return (
            f"posted by {author.poster} as from {author.source}, with no delegation named",
            "",
        )
    found = [
        item
        for item in evidence[1:]
        if isinstance(item, Mapping) and item.get("ledgerIndex") == author.delegation
    ]
    if not found:
        return f"the evidence of delegation {author.delegation} is missing", ""
    try:
        grant = check_evidence(found[0], checkpoints)
    except EvidenceInvalid as exc:
        return f"delegation {author.delegation}: {exc.check}: {exc.reason}", ""
    problem = _grant_problem(grant, record, author, outcome_kind, delegation)
    if problem is not None:
        return problem, ""
    return None, (
        f"posted by {author.poster} from {author.source} under delegation {author.delegation}"
    )
