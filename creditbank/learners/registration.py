"""A learner opening an account alone: an unverified (``self_asserted``) claim on a document.

The answer is the same whether or not the document already has an account, and so is the work
behind it: the password is hashed, the sequencer taken and one ``learner.registration`` entry
appended either way (its private payload names the account opened, or none), so neither the
answer, its timing nor the public log's growth tells an anonymous caller that an ID number is
known to the bank. A claim holds nothing institutions post; an institution opening the same
document later sets it aside (:func:`creditbank.learners.service.open_accounts`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select

from creditbank.identity.passwords import hash_password
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.identity.sealing import FieldSealer
from creditbank.learners.assurance import SELF, Assurance
from creditbank.learners.data_keys import vault
from creditbank.learners.service import (
    NewLearner,
    document_context,
    learner_t,
    lock_sequencer,
    name_context,
)
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger

ACCEPTED = (
    "if this identity document can be registered, an unverified account was opened with the "
    "password you chose: sign in with it. If it cannot (an account is already open for this "
    "document), nothing changed; the school or institution that enrolled you gives you an "
    "activation code for the account it opened. An unverified account holds no records until "
    "an institution opens your account for this document."
)


def register_self(
    ledger: Ledger, sealer: FieldSealer, person: NewLearner, *, now: datetime
) -> None:
    """Open a self-asserted account for ``person`` unless the document has one; answer nothing.

    Returns nothing on purpose: whether an account was opened is for the holder of the
    password to find out by signing in.
    """
    if person.password is None:
        raise ValueError("a learner registering alone must choose a password")
    password_hash = hash_password(person.password)  # the same scrypt work whatever follows
    lookup = sealer.lookup_hash(person.document.lookup_material())
    learner_id = str(uuid.uuid4())
    with ledger.transaction() as tx:
        lock_sequencer(tx)
        taken = tx.connection.execute(
            select(learner_t.c.id).where(learner_t.c.lookup == lookup)
        ).first()
        opened = taken is None
        index = tx.record(
            EntryKind.LEARNER_REGISTRATION,
            LEARNER_ACTOR,
            {
                "learner": learner_id if opened else None,
                "document_kind": person.document.kind.value,
            },
            now=now,
        )
        if not opened:
            return
        box = vault(tx.connection)
        tx.connection.execute(
            insert(learner_t).values(
                id=learner_id,
                lookup=lookup,
                document_kind=person.document.kind.value,
                name_sealed=box.seal(learner_id, person.name, context=name_context(learner_id)),
                document_sealed=box.seal(
                    learner_id, person.document.number, context=document_context(learner_id)
                ),
                password_hash=password_hash,
                activation_hash=None,
                opened_by=SELF,
                opened_at=now,
                ledger_index=index,
                assurance=Assurance.SELF_ASSERTED.value,
                bound_by=None,
                bound_at=None,
            )
        )
