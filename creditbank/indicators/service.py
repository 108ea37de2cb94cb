"""Key indicators recounted from the database: the reference the running totals equal.

Counts cover active records as they stand (a corrected record counts once, a revoked one not
at all); "over time" is by the month a record was first posted. One pass over the current
versions, so the dashboard does not use it: :mod:`creditbank.indicators.totals` keeps the
same figures as running totals, and the tests hold them equal to this recount.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from creditbank.clock import as_utc
from creditbank.evaluations.sealed_results import result_context
from creditbank.evaluations.tables import CommittedEvaluation
from creditbank.institutions.tables import Institution
from creditbank.learners.data_keys import vault
from creditbank.learners.service import active_accounts
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.records.contents import load_content
from creditbank.records.tables import OutcomeRecord, RecordVersion
from creditbank.records.vocabulary import CertificateType
from creditbank.rules.policy import Policy

record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
version_t = RecordVersion.__table__  # type: ignore[attr-defined]
institution_t = Institution.__table__  # type: ignore[attr-defined]
evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]

ONE_PLUS_X = CertificateType.ONE_PLUS_X.value


@dataclass(frozen=True)
class Indicators:
    """The dashboard's figures at one moment."""

    records: int
    by_month: Mapping[str, Counter[str]]  # "YYYY-MM" -> kind -> count
    by_kind: Counter[str]
    by_level: Counter[str]
    by_institution: Counter[str]
    by_region: Counter[str]
    certificates: Counter[tuple[str, str]]  # 1+X (title, level) -> count
    evaluations_by_pathway: Counter[str]
    credits_by_pathway: Mapping[str, Decimal]
    learners: int
    learners_with_records: int
    ledger_size: int
    checkpoint_size: int | None
    checkpoint_at: datetime | None


def compute(connection: Connection, policies: Mapping[str, Policy]) -> Indicators:
    """Every indicator, from the tables as they are now."""
    rows = connection.execute(
        select(
            record_t.c.kind,
            record_t.c.posted_at,
            record_t.c.institution,
            record_t.c.learner,
            institution_t.c.region,
            record_t.c.id,
            record_t.c.version,
            version_t.c.content,
        )
        .join(
            version_t,
            (version_t.c.record == record_t.c.id) & (version_t.c.version == record_t.c.version),
        )
        .join(institution_t, institution_t.c.code == record_t.c.institution)
        .where(record_t.c.status == "active")
    ).all()
    by_month: dict[str, Counter[str]] = {}
    by_kind: Counter[str] = Counter()
    by_level: Counter[str] = Counter()
    by_institution: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    certificates: Counter[tuple[str, str]] = Counter()
    learners_with_records: set[str] = set()
    box = vault(connection)
    box.prefetch({row.learner for row in rows})
    for row in rows:
        if not box.readable(row.learner):
            continue  # an erased learner's records count no more
        content = load_content(box, row.learner, row.id, row.version, row.content)
        month = as_utc(row.posted_at).strftime("%Y-%m")
        by_month.setdefault(month, Counter())[row.kind] += 1
        by_kind[row.kind] += 1
        by_institution[row.institution] += 1
        by_region[row.region] += 1
        learners_with_records.add(row.learner)
        level = content.get("level")
        if level:
            by_level[f"{row.kind}:{level}"] += 1
        if row.kind == "certificate" and content.get("certificate_type") == ONE_PLUS_X:
            certificates[(str(content.get("title")), str(level))] += 1
    evaluations: Counter[str] = Counter()
    credits: dict[str, Decimal] = {}
    committed = connection.execute(
        select(
            evaluation_t.c.id,
            evaluation_t.c.learner,
            evaluation_t.c.policy_id,
            evaluation_t.c.result,
        )
    ).all()
    box.prefetch({row.learner for row in committed})
    for row in committed:
        if not box.readable(row.learner):
            continue
        policy = policies.get(row.policy_id)
        pathway = policy.pathway if policy is not None else row.policy_id
        evaluations[pathway] += 1
        result = json.loads(box.open(row.learner, row.result, context=result_context(row.id)))
        recognised = Decimal(str(result.get("recognised_credits", "0")))
        credits[pathway] = credits.get(pathway, Decimal(0)) + recognised
    learners = active_accounts(connection)
    checkpoint = latest_checkpoint(connection)
    return Indicators(
        records=len(rows),
        by_month=dict(sorted(by_month.items())),
        by_kind=by_kind,
        by_level=by_level,
        by_institution=by_institution,
        by_region=by_region,
        certificates=certificates,
        evaluations_by_pathway=evaluations,
        credits_by_pathway=credits,
        learners=int(learners),
        learners_with_records=len(learners_with_records),
        ledger_size=read_head(connection).size,
        checkpoint_size=None if checkpoint is None else checkpoint.size,
        checkpoint_at=None if checkpoint is None else as_utc(checkpoint.created_at),
    )
