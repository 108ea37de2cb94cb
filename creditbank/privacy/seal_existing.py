"""Seal what was stored before learners had data keys (run once after migration 0019).

Migration 0019 cannot do it: sealing needs the key-encryption key, which lives outside the
database. ``creditbank learners seal-data`` (this module) then, in batches, each in its own
transaction: reseals every learner's name, document number and e-mail address from the KEK
to the learner's own key; seals each record version's content and each kept transcript; and
moves each opening of an entry about a learner from ``ledger_opening`` (in clear) to
``ledger_sealed_opening`` (the trigger lets an opening leave only once its sealed copy is
stored). It can be run again at any time: what is sealed already is left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from creditbank.evaluations.sealed_results import result_context
from creditbank.evaluations.tables import CommittedEvaluation
from creditbank.learners.contact import email_context
from creditbank.learners.data_keys import PREFIX, Vault, vault
from creditbank.learners.service import document_context, learner_t, name_context
from creditbank.ledger.envelope import SALT_SIZE
from creditbank.ledger.sealed_openings import installed_source, seal_opening, subject_of
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import opening_t, sealed_opening_t
from creditbank.notices.service import notice_t, params_context
from creditbank.records.contents import seal_content
from creditbank.records.service import record_t, version_t
from creditbank.storage.database import write_transaction
from creditbank.transcripts.issued import seal_context
from creditbank.transcripts.tables import Transcript

transcript_t = Transcript.__table__  # type: ignore[attr-defined]
evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]
BATCH = 500


@dataclass
class Sealed:
    """How many values each step sealed."""

    identities: int = 0
    contents: int = 0
    transcripts: int = 0
    evaluations: int = 0
    notices: int = 0
    openings: int = 0

    def __str__(self) -> str:
        return (
            f"sealed under learners' keys: {self.identities} identity fields, "
            f"{self.contents} record versions, {self.transcripts} transcripts, "
            f"{self.evaluations} evaluation results, {self.notices} notices, "
            f"{self.openings} log openings"
        )


def _reseal(box: Vault, learner: str, value: str | None, context: str) -> str | None:
    if value is None or value.startswith(PREFIX):
        return None
    return box.seal(learner, box.open(learner, value, context=context), context=context)


def _identities(connection: Connection, done: Sealed) -> None:
    box = vault(connection)
    rows = connection.execute(
        select(learner_t).where(learner_t.c.erased_at.is_(None)).order_by(learner_t.c.id)
    ).all()
    for row in rows:
        changed = {
            column: sealed
            for column, context in (
                ("name_sealed", name_context(row.id)),
                ("document_sealed", document_context(row.id)),
                ("email_sealed", email_context(row.id)),
            )
            if (sealed := _reseal(box, row.id, getattr(row, column), context)) is not None
        }
        if changed:
            connection.execute(update(learner_t).where(learner_t.c.id == row.id).values(changed))
            done.identities += len(changed)


def _contents(ledger: Ledger, done: Sealed) -> None:
    while True:
        with write_transaction(ledger.engine) as connection:
            box = vault(connection)
            rows = connection.execute(
                select(
                    version_t.c.record, version_t.c.version, version_t.c.content, record_t.c.learner
                )
                .join(record_t, record_t.c.id == version_t.c.record)
                .where(version_t.c.content.not_like(f"{PREFIX}%"))
                .limit(BATCH)
            ).all()
            for record, version, content, learner in rows:
                connection.execute(
                    update(version_t)
                    .where(version_t.c.record == record, version_t.c.version == version)
                    .values(content=seal_content(box, learner, record, version, content))
                )
            done.contents += len(rows)
        if len(rows) < BATCH:
            return


def _transcripts(connection: Connection, done: Sealed) -> None:
    box = vault(connection)
    rows = connection.execute(
        select(transcript_t.c.id, transcript_t.c.learner, transcript_t.c.credential_sealed).where(
            transcript_t.c.credential_sealed.not_like(f"{PREFIX}%")
        )
    ).all()
    for transcript_id, learner, sealed in rows:
        if not box.readable(learner):
            continue
        resealed = _reseal(box, learner, sealed, seal_context(transcript_id))
        if resealed is not None:
            connection.execute(
                update(transcript_t)
                .where(transcript_t.c.id == transcript_id)
                .values(credential_sealed=resealed)
            )
            done.transcripts += 1


def _evaluations(connection: Connection, done: Sealed) -> None:
    box = vault(connection)
    rows = connection.execute(
        select(evaluation_t.c.id, evaluation_t.c.learner, evaluation_t.c.result).where(
            evaluation_t.c.result.not_like(f"{PREFIX}%")
        )
    ).all()
    for evaluation_id, learner, result in rows:
        if not box.readable(learner):
            continue
        connection.execute(
            update(evaluation_t)
            .where(evaluation_t.c.id == evaluation_id)
            .values(result=box.seal(learner, result, context=result_context(evaluation_id)))
        )
        done.evaluations += 1


def _notices(connection: Connection, done: Sealed) -> None:
    box = vault(connection)
    rows = connection.execute(
        select(notice_t.c.id, notice_t.c.recipient, notice_t.c.params).where(
            notice_t.c.recipient_kind == "learner", notice_t.c.params.not_like(f"{PREFIX}%")
        )
    ).all()
    for notice_id, learner, params in rows:
        if not box.readable(learner):
            continue
        connection.execute(
            update(notice_t)
            .where(notice_t.c.id == notice_id)
            .values(params=box.seal(learner, params, context=params_context(notice_id)))
        )
        done.notices += 1


def _openings(ledger: Ledger, done: Sealed) -> None:
    after = -1
    while True:
        with ledger.transaction() as tx:
            connection = tx.connection
            rows = connection.execute(
                select(opening_t.c.idx, opening_t.c.salt, opening_t.c.payload)
                .where(opening_t.c.idx > after)
                .order_by(opening_t.c.idx)
                .limit(BATCH)
            ).all()
            about = {
                idx: learner
                for idx, _, payload in rows
                if (learner := subject_of(json.loads(payload))) is not None
            }
            source = installed_source(connection)
            assert source is not None
            keys = source.keys_for(connection, set(about.values()), create=True)
            moved = [
                {
                    "idx": idx,
                    "learner": about[idx],
                    "sealed": seal_opening(keys[about[idx]], idx, about[idx], salt, payload),
                }
                for idx, salt, payload in rows
                if idx in about and about[idx] in keys and len(salt) == SALT_SIZE
            ]
            if moved:
                connection.execute(insert(sealed_opening_t), moved)
                connection.execute(
                    delete(opening_t).where(opening_t.c.idx.in_([m["idx"] for m in moved]))
                )
            done.openings += len(moved)
        if len(rows) < BATCH:
            return
        after = rows[-1].idx


def seal_existing(ledger: Ledger) -> Sealed:
    """Seal every learner's data stored before 0019 under the learner's key."""
    done = Sealed()
    with ledger.transaction() as tx:
        _identities(tx.connection, done)
        _transcripts(tx.connection, done)
        _evaluations(tx.connection, done)
        _notices(tx.connection, done)
    _contents(ledger, done)
    _openings(ledger, done)
    return done
