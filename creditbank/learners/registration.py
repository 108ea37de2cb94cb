"""A learner opening an account alone: an unverified (``self_asserted``) claim on a document.

Nothing goes into the public log: an account nobody has confirmed asserts nothing about a
person, and the log grows only when an institution that saw the person opens their account
(which sets the claim aside). The answer is the same whether or not the document already has
an account, and so is the work behind it (the password is hashed either way), so neither the
answer nor its timing tells an anonymous caller that an ID number is known to the bank. A
claim holds nothing institutions post. Registrations are limited per client address
(:mod:`creditbank.api.limits`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select

from creditbank.identity.passwords import hash_password
from creditbank.identity.sealing import FieldSealer
from creditbank.learners.assurance import SELF, Assurance
from creditbank.learners.data_keys import vault
from creditbank.learners.service import (
    NewLearner,
    learner_t,
    lock_sequencer,
    sealed_identity_row,
)
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
        # The sequencer orders this against an institution opening the same document, as
        # every opening is ordered; nothing is appended.
        lock_sequencer(tx)
        taken = tx.connection.execute(
            select(learner_t.c.id).where(learner_t.c.lookup == lookup)
        ).first()
        if taken is None:
            row = {
                **sealed_identity_row(vault(tx.connection), person, learner_id, lookup, now=now),
                "password_hash": password_hash,
                "activation_hash": None,
                "opened_by": SELF,
                "ledger_index": None,
                "assurance": Assurance.SELF_ASSERTED.value,
            }
            tx.connection.execute(insert(learner_t).values(**row))
