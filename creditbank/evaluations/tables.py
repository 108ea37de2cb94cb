"""Tables of published policy versions and committed evaluations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class PolicyPublication(SQLModel, table=True):
    """A policy version made active by a ``policy.published`` entry holding its hash."""

    __tablename__ = "policy_publication"

    policy_id: str = Field(sa_column=Column(String(80), primary_key=True))
    version: str = Field(sa_column=Column(String(40), primary_key=True))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    published_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class CommittedEvaluation(SQLModel, table=True):
    """An evaluation a registrar committed (or a learner's appeal produced), with its inputs.

    ``inputs`` lists the record versions evaluated (id and ledger index), so a re-run reads
    exactly what was evaluated even after records change.
    """

    __tablename__ = "evaluation"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    learner: str = Field(
        sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False, index=True)
    )
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False, index=True)
    )
    policy_id: str = Field(sa_column=Column(String(80), nullable=False))
    policy_version: str = Field(sa_column=Column(String(40), nullable=False))
    policy_hash: str = Field(sa_column=Column(String(64), nullable=False))
    evaluated_on: date = Field(sa_column=Column(Date, nullable=False))
    inputs: str = Field(sa_column=Column(Text, nullable=False))
    exceptions: str = Field(sa_column=Column(Text, nullable=False))
    result: str = Field(sa_column=Column(Text, nullable=False))
    result_hash: str = Field(sa_column=Column(String(64), nullable=False))
    committed_by: str = Field(sa_column=Column(String(64), nullable=False))
    committed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    appeal_of: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("evaluation.id"), nullable=True)
    )


class RecognisedTransfer(SQLModel, table=True):
    """A course a committed evaluation recognised, with its own ``transfer.recognised`` entry.

    The entry's payload names the course, the credits and the policy, never the records read,
    so a transcript can disclose one recognised course without the learner's other records.
    A later committed evaluation of the same learner under the same policy (an appeal, or a
    re-evaluation) supersedes the earlier one's transfers.
    """

    __tablename__ = "recognised_transfer"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    evaluation: str = Field(
        sa_column=Column(String(36), ForeignKey("evaluation.id"), nullable=False, index=True)
    )
    learner: str = Field(
        sa_column=Column(String(36), ForeignKey("learner.id"), nullable=False, index=True)
    )
    institution: str = Field(
        sa_column=Column(String(32), ForeignKey("institution.code"), nullable=False)
    )
    policy_id: str = Field(sa_column=Column(String(80), nullable=False))
    course_code: str = Field(sa_column=Column(String(40), nullable=False))
    credits: str = Field(sa_column=Column(String(16), nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    superseded_by: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("evaluation.id"), nullable=True)
    )
