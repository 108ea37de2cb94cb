"""Tables of published policy versions and committed evaluations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from creditbank.storage.types import UtcDateTime


class PolicyPublication(SQLModel, table=True):
    """A policy version made active by a ``policy.published`` entry holding its hash.

    ``content`` is the published text itself (TOML or JSON, ``format``), so every serving
    process loads it from here; versions published before it was kept have none and come
    from the policies folder.
    """

    __tablename__ = "policy_publication"

    policy_id: str = Field(sa_column=Column(String(80), primary_key=True))
    version: str = Field(sa_column=Column(String(40), primary_key=True))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    published_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ledger_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    format: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    source: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    published_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class PolicyDraft(SQLModel, table=True):
    """An uploaded policy version, validated and dry-run, waiting for its confirmation.

    ``impact`` holds the impact analysis shown before publishing (JSON: the figures and the
    list of learners whose results would change).
    """

    __tablename__ = "policy_draft"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    policy_id: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    version: str = Field(sa_column=Column(String(40), nullable=False))
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    format: str = Field(sa_column=Column(String(8), nullable=False))
    source: str = Field(sa_column=Column(String(200), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    cases: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(sa_column=Column(String(32), nullable=False))
    uploaded_by: str = Field(sa_column=Column(String(64), nullable=False))
    learners_shown: bool = Field(sa_column=Column(Boolean, nullable=False))
    impact: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    published_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


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
    # The entry date or intake start that chose the version (None: the evaluation's date).
    applies_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
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
