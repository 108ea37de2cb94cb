"""Tables of member institutions, their API clients and their batch-signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class Institution(SQLModel, table=True):
    """A member institution; its row mirrors the ``institution.registered`` entry."""

    __tablename__ = "institution"

    code: str = Field(sa_column=Column(String(32), primary_key=True))
    name_zh: str = Field(sa_column=Column(String(200), nullable=False))
    name_en: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    level: str = Field(sa_column=Column(String(32), nullable=False))
    region: str = Field(sa_column=Column(String(32), nullable=False))
    require_signed_batches: bool = Field(sa_column=Column(Boolean, nullable=False))
    registered_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Set once, by the ``institution.left`` entry: it posts nothing after; its records stay.
    left_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    left_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Days an approved recognition stays on public notice (公示) before it is committed; 0: none.
    notice_days: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))


class ApiClient(SQLModel, table=True):
    """An API key of an institution (or of the bank's operators when ``institution`` is null).

    Only the SHA-256 of the secret is kept; the secret is shown once, when issued. Who issued,
    accepted and revoked it are ledger actors (``operator:<key id>``, ``operator:console``,
    ``institution:CODE``; ``legacy`` for keys issued before the log recorded it), each with the
    index of its log entry. A key an operator issues for an institution is pending (usable
    nowhere) until that institution's admin accepts it; ``bootstrap`` marks an institution's
    first admin key, which an operator necessarily issues and which is good only for its
    exchange.
    """

    __tablename__ = "api_client"

    key_id: str = Field(sa_column=Column(String(32), primary_key=True))
    institution: str | None = Field(
        default=None,
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=True, index=True),
    )
    role: str = Field(sa_column=Column(String(16), nullable=False))
    label: str = Field(sa_column=Column(String(200), nullable=False))
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    issued_by: str = Field(sa_column=Column(String(80), nullable=False))
    issued_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    bootstrap: bool = Field(sa_column=Column(Boolean, nullable=False))
    accepted_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    accepted_by: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    accepted_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    revoked_by: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class InstitutionKey(SQLModel, table=True):
    """An Ed25519 public key an institution signs its batches with."""

    __tablename__ = "institution_key"

    key_id: str = Field(sa_column=Column(String(16), primary_key=True))
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False, unique=True))
    added_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    added_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
