"""One person, two documents: a registrar merges the two accounts into one, with a reason.

A learner with a passport who later holds a 居民身份证 (or any two documents) has two
verified accounts. A registrar of an institution both accounts consented to (``read``) merges
them: one ``learner.merged`` entry (actor the institution; private payload the two account
ids, the institution and the reason, never a name or a number), then every record of the
alias moves to the surviving account (:func:`creditbank.records.moves.move_records`, handed in
because records sit above learners). The alias stays as a row whose document resolves to the
surviving account, for opening and signing in alike. Consents are not carried over: an
institution reads the surviving account only under a consent on it. Self-asserted claims are
never merged; they are set aside.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select, update

from creditbank.errors import Conflict, FieldProblem, Forbidden, InvalidInput
from creditbank.learners.assurance import Assurance
from creditbank.learners.service import (
    ConsentScope,
    has_consent,
    learner_t,
    lock_sequencer,
    token_t,
)
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger, LedgerTransaction

MAX_REASON = 500
# Eighteen characters shaped like a 居民身份证 number: a reason must not carry one.
_RESIDENT_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


class MoveRecords(Protocol):
    """What a merge passes its transaction to, for the records of the merged account."""

    def __call__(
        self,
        tx: LedgerTransaction,
        alias: str,
        into: str,
        /,
        *,
        merge_index: int,
        actor: str,
        now: datetime,
    ) -> int:
        """Move, in ``tx``, every record of ``alias`` to ``into``; return how many moved."""
        ...


@dataclass(frozen=True)
class Merged:
    """A merge as recorded: its id, log index, the two accounts and how many records moved."""

    id: str
    ledger_index: int
    alias: str
    into: str
    records_moved: int


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput(
            "a merge needs a reason", problems=[FieldProblem("reason", "must not be empty")]
        )
    if len(text) > MAX_REASON:
        raise InvalidInput(
            f"the reason is longer than {MAX_REASON} characters",
            problems=[FieldProblem("reason", f"at most {MAX_REASON} characters")],
        )
    if _RESIDENT_NUMBER.search(text):
        raise InvalidInput(
            "the reason holds an identity number; name the documents by kind only",
            problems=[FieldProblem("reason", "must not hold an identity number")],
        )
    return text


def _mergeable(row: Any, role: str) -> None:
    if row.assurance != Assurance.INSTITUTION_VERIFIED.value or row.set_aside_at is not None:
        raise Conflict(
            f"the {role} account is not institution-verified; only verified accounts merge "
            "(an institution opens the account for that document first)"
        )
    if row.merged_into is not None:
        raise Conflict(f"the {role} account was already merged into another account")


def _lock(connection: Connection, learner_id: str) -> Any:
    return connection.execute(
        select(learner_t).where(learner_t.c.id == learner_id).with_for_update()
    ).one()


def merge_accounts(
    ledger: Ledger,
    *,
    alias: str,
    into: str,
    institution: str,
    actor: str,
    reason: str,
    now: datetime,
    move_records: MoveRecords,
) -> Merged:
    """Merge account ``alias`` into ``into`` for a registrar of ``institution`` (all or none).

    Refused, with nothing written, unless the institution holds an active ``read`` consent
    on both accounts (the same 403 whether or not an account exists), both are verified and
    neither was merged, and the reason is given without an identity number.
    """
    text = _check_reason(reason)
    if alias == into:
        raise InvalidInput(
            "an account cannot be merged into itself",
            problems=[FieldProblem("alias", "must be another account than the surviving one")],
        )
    merge_id = str(uuid.uuid4())
    with ledger.transaction() as tx:
        lock_sequencer(tx)
        for learner_id in (alias, into):
            if not has_consent(tx.connection, learner_id, institution, ConsentScope.READ, now=now):
                raise Forbidden(
                    f"learner {learner_id} has given {institution} no read consent; both "
                    "accounts must consent before a registrar merges them"
                )
        alias_row, into_row = _lock(tx.connection, alias), _lock(tx.connection, into)
        _mergeable(alias_row, "merged")
        _mergeable(into_row, "surviving")
        index = tx.record(
            EntryKind.LEARNER_MERGED,
            actor,
            {
                "merge": merge_id,
                "alias": alias,
                "into": into,
                "by": institution,
                "reason": text,
            },
            now=now,
        )
        moved = move_records(tx, alias, into, merge_index=index, actor=actor, now=now)
        tx.connection.execute(
            update(learner_t)
            .where(learner_t.c.id == alias)
            .values(merged_into=into, merged_index=index, password_hash=None, activation_hash=None)
        )
        # Accounts merged into the alias before now resolve to the surviving one: one hop.
        tx.connection.execute(
            update(learner_t).where(learner_t.c.merged_into == alias).values(merged_into=into)
        )
        if into_row.password_hash is None and alias_row.password_hash is not None:
            # The learner keeps the password they had: it now opens the surviving account.
            tx.connection.execute(
                update(learner_t)
                .where(learner_t.c.id == into)
                .values(password_hash=alias_row.password_hash)
            )
        tx.connection.execute(
            update(token_t)
            .where(token_t.c.learner == alias, token_t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return Merged(merge_id, index, alias, into, moved)
