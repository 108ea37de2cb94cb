"""Tables of learner accounts, their sign-in tokens and their consents.

Names and document numbers are sealed (AES-GCM, see ``creditbank.identity.sealing``); the
account is found by a keyed hash of the document, never by the number in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class Learner(SQLModel, table=True):
    """One person's account; ``lookup`` makes the same document one account.

    ``assurance`` says how the identity was established (``self_asserted`` by the learner
    alone, ``institution_verified`` by the institution in ``bound_by`` at ``bound_at``). A
    self-asserted claim an institution's opening set aside keeps its row, with its document's
    hash moved to ``set_aside_lookup`` (``lookup`` becomes ``set-aside:<id>``, which no
    document hashes to) so that its holder can be told at sign-in. A merged account is an alias:
    ``merged_into`` names the account that holds its records now.
    """

    __tablename__ = "learner"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    lookup: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    document_kind: str = Field(sa_column=Column(String(32), nullable=False))
    name_sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    document_sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Where notices are e-mailed, if the learner gave an address (sealed like the name).
    email_sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    password_hash: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    # SHA-256 of the one-time code an opening institution hands the learner to set a password.
    activation_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    opened_by: str = Field(sa_column=Column(String(64), nullable=False))
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # The entry that opened the account; none for an account the learner registered alone,
    # which the public log does not record until an institution opens the person's account.
    ledger_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    assurance: str = Field(sa_column=Column(String(32), nullable=False))
    bound_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    bound_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    set_aside_lookup: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, index=True)
    )
    set_aside_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    set_aside_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    merged_into: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    merged_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Closure (by the learner, or a registrar on a recorded legal ground) and the erasure that
    # follows it after the grace period (migration 0019).
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    closed_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    closure_ground: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    closed_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    erase_after: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True, index=True)
    )
    erased_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    erased_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class LearnerKey(SQLModel, table=True):
    """A learner's data key, wrapped under the KEK; destroyed (``wrapped`` NULL) on erasure.

    Left out of backups (``info``): a backup holds data sealed under these keys, never the
    keys, so a learner erased after a backup was taken cannot be read from it.
    """

    __tablename__ = "learner_key"
    __table_args__ = {"info": {"backup": False}}

    learner: str = Field(sa_column=Column(String(36), primary_key=True))
    wrapped: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    destroyed_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class LearnerToken(SQLModel, table=True):
    """A bearer token a learner signed in for; only its hash is kept."""

    __tablename__ = "learner_token"

    key_id: str = Field(sa_column=Column(String(32), primary_key=True))
    learner: str = Field(
        sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False, index=True)
    )
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False))
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class Consent(SQLModel, table=True):
    """A learner's permission for one institution, for a scope and a period."""

    __tablename__ = "consent"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(
        sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False, index=True)
    )
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    scope: str = Field(sa_column=Column(String(16), nullable=False))
    valid_from: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    valid_until: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    granted_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    withdrawn_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
