"""Delegations: a member's leave, on the log, for another member to post outcomes from it.

An outcome names its source institution; the institution that posts it is the one whose key
posted it. The two differ only under a delegation: the source (delegator) lets the poster
(delegate) post outcomes of some kinds from it, from one moment and until another (or until
ended). Granting and ending are log entries naming who did it (the delegator's admin or a
bank operator), so a record posted under a delegation can show a verifier the entry that
allowed it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from creditbank.errors import Conflict, FieldProblem, InvalidInput, NotFound
from creditbank.identity.principals import ClientPrincipal
from creditbank.institutions.service import find_institution
from creditbank.ledger.envelope import EntryKind, format_time, parse_time
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.records.tables import Delegation
from creditbank.records.vocabulary import OutcomeKind

delegation_t = Delegation.__table__  # type: ignore[attr-defined]


def to_millisecond(moment: datetime) -> datetime:
    """``moment`` as the log writes it (milliseconds), so a verifier compares like with like."""
    return parse_time(format_time(moment))


def registrant(by: ClientPrincipal) -> dict[str, Any]:
    """Who acted, as a delegation entry names them: an operator or an institution's admin."""
    if by.is_operator:
        return {"role": "operator", "key_id": by.key_id}
    return {"role": by.role.value, "institution": by.institution, "key_id": by.key_id}


@dataclass(frozen=True)
class DelegationTerms:
    """What a delegator grants (validated at the edge): to whom, which kinds, for when, why."""

    delegate: str
    kinds: tuple[OutcomeKind, ...]
    effective_from: datetime
    effective_until: datetime | None
    reason: str


@dataclass(frozen=True)
class DelegationView:
    """A delegation as stored, with the entries that granted and (perhaps) ended it."""

    id: str
    delegator: str
    delegate: str
    kinds: tuple[str, ...]
    effective_from: datetime
    effective_until: datetime | None
    reason: str
    granted_by: str
    granted_at: datetime
    granted_index: int
    ended_at: datetime | None
    ended_by: str | None
    ended_index: int | None

    def covers(self, kind: str, at: datetime) -> bool:
        """True when it lets the delegate post a ``kind`` outcome at ``at``."""
        return (
            kind in self.kinds
            and self.effective_from <= at
            and (self.effective_until is None or at < self.effective_until)
            and (self.ended_at is None or at < self.ended_at)
        )


def _view(row: Any) -> DelegationView:
    m = row._mapping
    return DelegationView(
        m["id"],
        m["delegator"],
        m["delegate"],
        tuple(m["kinds"].split(",")),
        m["effective_from"],
        m["effective_until"],
        m["reason"],
        m["granted_by"],
        m["granted_at"],
        m["granted_index"],
        m["ended_at"],
        m["ended_by"],
        m["ended_index"],
    )


def granted_payload(view: DelegationView, by: dict[str, Any]) -> dict[str, Any]:
    """The committed form of a grant: what a verifier reads to check a delegated record."""
    return {
        "delegation": view.id,
        "delegator": view.delegator,
        "delegate": view.delegate,
        "kinds": list(view.kinds),
        "effective_from": format_time(view.effective_from),
        "effective_until": (
            None if view.effective_until is None else format_time(view.effective_until)
        ),
        "reason": view.reason,
        "registered_by": by,
    }


def _member(connection: Connection, code: str, field: str) -> None:
    found = find_institution(connection, code)
    if found is None:
        raise NotFound(f"no member institution {code!r}")
    if found.left_at is not None:
        raise Conflict(f"{code} left the bank on {found.left_at.date().isoformat()} ({field})")


def grant_delegation(
    ledger: Ledger,
    delegator: str,
    terms: DelegationTerms,
    *,
    by: ClientPrincipal,
    now: datetime,
) -> DelegationView:
    """Record that ``delegator`` lets ``terms.delegate`` post outcomes from it."""
    problems = []
    if terms.delegate == delegator:
        problems.append(FieldProblem("delegate", "an institution needs no delegation from itself"))
    if not terms.kinds:
        problems.append(FieldProblem("kinds", "name at least one outcome kind"))
    start = to_millisecond(terms.effective_from)
    until = None if terms.effective_until is None else to_millisecond(terms.effective_until)
    if until is not None and until <= max(start, now):
        problems.append(FieldProblem("effective_until", "must be after effective_from and now"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)
    kinds = tuple(kind.value for kind in OutcomeKind if kind in terms.kinds)
    with ledger.transaction() as tx:
        _member(tx.connection, delegator, "delegator")
        _member(tx.connection, terms.delegate, "delegate")
        view = DelegationView(
            str(uuid.uuid4()),
            delegator,
            terms.delegate,
            kinds,
            start,
            until,
            terms.reason,
            by.key_id,
            now,
            0,
            None,
            None,
            None,
        )
        index = tx.record(
            EntryKind.DELEGATION_GRANTED, by.actor, granted_payload(view, registrant(by)), now=now
        )
        tx.connection.execute(
            insert(delegation_t).values(
                id=view.id,
                delegator=delegator,
                delegate=terms.delegate,
                kinds=",".join(kinds),
                effective_from=start,
                effective_until=until,
                reason=terms.reason,
                granted_by=by.key_id,
                granted_at=now,
                granted_index=index,
            )
        )
        return read_delegation(tx.connection, view.id)


def _end(
    tx: LedgerTransaction,
    view: DelegationView,
    *,
    actor: str,
    by: dict[str, Any],
    reason: str,
    now: datetime,
) -> None:
    index = tx.record(
        EntryKind.DELEGATION_ENDED,
        actor,
        {
            "delegation": view.id,
            "granted_index": view.granted_index,
            "ended_at": format_time(now),
            "reason": reason,
            "registered_by": by,
        },
        now=now,
    )
    tx.connection.execute(
        update(delegation_t)
        .where(delegation_t.c.id == view.id)
        .values(ended_at=now, ended_by=str(by.get("key_id", by.get("role"))), ended_index=index)
    )


def end_delegation(
    ledger: Ledger,
    delegator: str,
    delegation_id: str,
    *,
    by: ClientPrincipal,
    reason: str,
    now: datetime,
) -> DelegationView:
    """End a delegation now; records posted under it before stay as they are."""
    with ledger.transaction() as tx:
        row = tx.connection.execute(
            select(delegation_t).where(delegation_t.c.id == delegation_id).with_for_update()
        ).first()
        if row is None or row._mapping["delegator"] != delegator:
            raise NotFound(f"no delegation {delegation_id!r} from {delegator}")
        view = _view(row)
        if view.ended_at is not None:
            raise Conflict(f"delegation {delegation_id} already ended on {view.ended_at}")
        _end(tx, view, actor=by.actor, by=registrant(by), reason=reason, now=now)
        return read_delegation(tx.connection, delegation_id)


def end_delegations_of(
    tx: LedgerTransaction, code: str, *, actor: str, by: dict[str, Any], reason: str, now: datetime
) -> list[str]:
    """End, in ``tx``, every delegation from or to ``code``; return their ids."""
    rows = tx.connection.execute(
        select(delegation_t)
        .where(
            or_(delegation_t.c.delegator == code, delegation_t.c.delegate == code),
            delegation_t.c.ended_at.is_(None),
        )
        .order_by(delegation_t.c.granted_index)
    ).all()
    for row in rows:
        _end(tx, _view(row), actor=actor, by=by, reason=reason, now=now)
    return [row._mapping["id"] for row in rows]


def read_delegation(connection: Connection, delegation_id: str) -> DelegationView:
    """One delegation, or NotFound."""
    row = connection.execute(select(delegation_t).where(delegation_t.c.id == delegation_id)).first()
    if row is None:
        raise NotFound(f"no delegation {delegation_id!r}")
    return _view(row)


def list_delegations(connection: Connection, code: str) -> list[DelegationView]:
    """Every delegation ``code`` granted or received, oldest first."""
    rows = connection.execute(
        select(delegation_t)
        .where(or_(delegation_t.c.delegator == code, delegation_t.c.delegate == code))
        .order_by(delegation_t.c.granted_index)
    )
    return [_view(row) for row in rows]


def covering_delegations(
    connection: Connection, poster: str, sources: Sequence[str], *, at: datetime
) -> dict[tuple[str, str], DelegationView]:
    """The delegation letting ``poster`` post each (source, kind) at ``at``, where one does.

    When several do, the earliest granted is taken, so the answer does not depend on order.
    """
    if not sources:
        return {}
    rows = connection.execute(
        select(delegation_t)
        .where(
            delegation_t.c.delegate == poster,
            delegation_t.c.delegator.in_(sorted(set(sources))),
            delegation_t.c.ended_at.is_(None),
        )
        .order_by(delegation_t.c.granted_index)
    )
    found: dict[tuple[str, str], DelegationView] = {}
    for row in rows:
        view = _view(row)
        for kind in view.kinds:
            if view.covers(kind, at):
                found.setdefault((view.delegator, kind), view)
    return found
