"""The callers the service knows: institution API clients, bank operators and learners."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an API client of an institution may do."""

    POSTER = "poster"  # open accounts, post, correct and revoke the institution's records
    REGISTRAR = "registrar"  # read consented learners, run evaluations
    ADMIN = "admin"  # everything the institution may do, and manage its clients and keys


BANK_ACTOR = "bank"
API_KEY_PREFIX = "cbk"  # API keys: cbk_<key id>_<secret>
LEARNER_TOKEN_PREFIX = "cbl"  # noqa: S105 - a prefix, not a secret: learner sign-in tokens
LEARNER_ACTOR = "learner"


@dataclass(frozen=True)
class ClientPrincipal:
    """An API client: of an institution, or of the bank's operators (``institution`` None)."""

    key_id: str
    institution: str | None
    role: Role

    @property
    def is_operator(self) -> bool:
        """True for the bank's own administrators."""
        return self.institution is None and self.role is Role.ADMIN

    @property
    def actor(self) -> str:
        """The public actor written in ledger envelopes."""
        return BANK_ACTOR if self.institution is None else f"institution:{self.institution}"


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
