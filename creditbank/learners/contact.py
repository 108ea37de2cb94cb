"""A learner's e-mail address for notices: optional, checked, and sealed like the name."""

from __future__ import annotations

import re

from sqlalchemy import Connection, select, update

from creditbank.errors import FieldProblem, InvalidInput, NotFound
from creditbank.identity.sealing import FieldSealer
from creditbank.learners.data_keys import vault
from creditbank.learners.tables import Learner

learner_t = Learner.__table__  # type: ignore[attr-defined]
MAX_EMAIL = 254  # RFC 5321's limit on a forward path
# One local part, one domain with a dot; no spaces, no angle brackets, no header breaks.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def email_context(learner_id: str) -> str:
    """The sealing context of an account's e-mail address."""
    return f"learner:{learner_id}:email"


def clean_email(text: str) -> str:
    """A usable address, or InvalidInput naming the problem."""
    value = text.strip()
    if len(value) > MAX_EMAIL or not _EMAIL.fullmatch(value):
        reason = "must be an e-mail address such as name@example.cn"
        raise InvalidInput(f"email: {reason}", problems=[FieldProblem("email", reason)])
    return value


def set_email(
    connection: Connection, sealer: FieldSealer, learner_id: str, email: str | None
) -> None:
    """Give, change or (with None) remove the address notices are e-mailed to."""
    sealed = (
        None
        if email is None
        else vault(connection).seal(
            learner_id, clean_email(email), context=email_context(learner_id)
        )
    )
    changed = connection.execute(
        update(learner_t).where(learner_t.c.id == learner_id).values(email_sealed=sealed)
    ).rowcount
    if changed != 1:
        raise NotFound(f"no learner account {learner_id!r}")


def read_email(connection: Connection, sealer: FieldSealer, learner_id: str) -> str | None:
    """The learner's address, unsealed, or None when none was given."""
    sealed = connection.execute(
        select(learner_t.c.email_sealed).where(learner_t.c.id == learner_id)
    ).scalar_one_or_none()
    if sealed is None:
        return None
    return vault(connection).open(learner_id, sealed, context=email_context(learner_id))
