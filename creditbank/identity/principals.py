"""The callers the service knows: institution API clients, bank operators and learners."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an API client of an institution may do."""

    POSTER = "poster"  # open accounts, post, correct and revoke the institution's records
    REGISTRAR = "registrar"  # read consented learners, run evaluations
    ADMIN = "admin"  # everything the institution may do, and manage its clients and keys


BANK_ACTOR = "bank"  # the bank's own scheduled acts (consent expiry), not a person's
OPERATOR_ACTOR = "operator"  # ``operator:<key id>``: an operator acting through an API key
CONSOLE_ACTOR = "operator:console"  # an operator at the server's command line
API_KEY_PREFIX = "cbk"  # API keys: cbk_<key id>_<secret>
LEARNER_TOKEN_PREFIX = "cbl"  # noqa: S105 - a prefix, not a secret: learner sign-in tokens
LEARNER_ACTOR = "learner"


@dataclass(frozen=True)
class ClientPrincipal:
    """An API client: of an institution, or of the bank's operators (``institution`` None)."""

    key_id: str
    institution: str | None
    role: Role
    bootstrap: bool = False
    """An operator-issued first admin key, good only for its exchange (see README)."""

    @property
    def is_operator(self) -> bool:
        """True for the bank's own administrators."""
        return self.institution is None and self.role is Role.ADMIN

    @property
    def actor(self) -> str:
        """The public actor written in ledger envelopes.

        An operator is named by its key id (a random pseudonym: the person behind it is in the
        key's private label), so every operator act in the log can be traced to one key.
        """
        if self.institution is None:
            return f"{OPERATOR_ACTOR}:{self.key_id}"
        return f"institution:{self.institution}"


@dataclass(frozen=True)
class LearnerPrincipal:
    """A signed-in learner."""

    learner_id: str
    token_id: str

    @property
    def actor(self) -> str:
        """The public actor written in ledger envelopes.

        Only "learner": even a random id would let anyone link one learner's entries in the
        public log. The id is in the (private) payload.
        """
        return LEARNER_ACTOR


Principal = ClientPrincipal | LearnerPrincipal
