"""The dashboard's figures as running totals, advanced by what changed since the last refresh.

Every change to a record (posted, corrected, revoked, moved to a merged account) writes a
``record_version`` row with its ledger index, and every committed evaluation an ``evaluation``
row with its own; both indices only grow, and a transaction that holds the sequencer's lock
commits before the next one takes it. :func:`advance` reads the versions and evaluations past
the mark kept in ``indicator_mark``, and for each record they touch takes back what the totals
counted for it (``indicator_record``: its learner and the version counted) and adds what it
counts now. Its cost is the number of records changed since the last refresh, whatever the
number of records the bank holds; the figures equal a full recount
(:func:`creditbank.indicators.service.compute`, kept as the reference the tests compare with).

Only the count of accounts still reads its table (an indexed count of ``learner``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from creditbank.clock import as_utc
from creditbank.evaluations.sealed_results import read_result
from creditbank.evaluations.tables import CommittedEvaluation
from creditbank.indicators.service import Indicators, record_t, version_t
from creditbank.indicators.tables import (
    IndicatorLearner,
    IndicatorMark,
    IndicatorRecord,
    IndicatorTotal,
)
from creditbank.institutions.tables import Institution
from creditbank.learners.data_keys import Vault, vault
from creditbank.learners.service import active_accounts
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.records.contents import load_content
from creditbank.records.vocabulary import CertificateType
from creditbank.rules.policy import Policy
from creditbank.storage.database import among, bulk_insert

mark_t = IndicatorMark.__table__  # type: ignore[attr-defined]
total_t = IndicatorTotal.__table__  # type: ignore[attr-defined]
counted_t = IndicatorRecord.__table__  # type: ignore[attr-defined]
learner_count_t = IndicatorLearner.__table__  # type: ignore[attr-defined]
evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]
institution_t = Institution.__table__  # type: ignore[attr-defined]

MARK = 1
PAGE = 2000
_CHUNK = 500
ONE_PLUS_X = CertificateType.ONE_PLUS_X.value
LEARNERS = ("learners", "")
RECORDS = ("records", "")
Key = tuple[str, str]


def contributions(
    kind: str, posted_at: datetime, institution: str, region: str, content: Mapping[str, Any]
) -> list[Key]:
    """The (figure, key) counts one active record adds to."""
    month = as_utc(posted_at).strftime("%Y-%m")
    keys = [
        RECORDS,
        ("month", f"{month}\t{kind}"),
        ("kind", kind),
        ("institution", institution),
        ("region", region),
    ]
    level = content.get("level")
    if level:
        keys.append(("level", f"{kind}:{level}"))
    if kind == "certificate" and content.get("certificate_type") == ONE_PLUS_X:
        keys.append(("certificate", f"{content.get('title')}\t{level}"))
    return keys


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class _Deltas:
    """What one refresh adds to and takes from the totals, applied once at the end."""

    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()
        self.credits: dict[str, Decimal] = {}
        self.learners: Counter[str] = Counter()


def _recount_records(connection: Connection, records: list[str], deltas: _Deltas) -> None:
    """Take back what was counted for ``records`` and count them as they stand now."""
    for chunk in _chunks(records):
        now = connection.execute(
            select(
                record_t.c.id,
                record_t.c.learner,
                record_t.c.kind,
                record_t.c.status,
                record_t.c.version,
                record_t.c.posted_at,
                record_t.c.institution,
                institution_t.c.region,
                version_t.c.content,
            )
            .join(
                version_t,
                (version_t.c.record == record_t.c.id) & (version_t.c.version == record_t.c.version),
            )
            .join(institution_t, institution_t.c.code == record_t.c.institution)
            .where(among(connection, record_t.c.id, chunk))
        ).all()
        before = {
            row.record: row
            for row in connection.execute(
                select(
                    counted_t.c.record,
                    counted_t.c.learner,
                    counted_t.c.version,
                    version_t.c.content,
                )
                .join(
                    version_t,
                    (version_t.c.record == counted_t.c.record)
                    & (version_t.c.version == counted_t.c.version),
                )
                .where(among(connection, counted_t.c.record, chunk))
            )
        }
        connection.execute(delete(counted_t).where(among(connection, counted_t.c.record, chunk)))
        box = vault(connection)
        box.prefetch({row.learner for row in now} | {old.learner for old in before.values()})
        counted: list[dict[str, Any]] = []
        for row in now:
            place = (row.kind, row.posted_at, row.institution, row.region)
            old = before.get(row.id)
            if old is not None:
                old_content = _content(box, old.learner, row.id, old.version, old.content)
                deltas.counts.subtract(contributions(*place, old_content))
                deltas.learners[old.learner] -= 1
            if row.status == "active":
                content = _content(box, row.learner, row.id, row.version, row.content)
                deltas.counts.update(contributions(*place, content))
                deltas.learners[row.learner] += 1
                counted.append({"record": row.id, "learner": row.learner, "version": row.version})
        if counted:
            bulk_insert(connection, counted_t, counted)


def _count_learners(connection: Connection, deltas: _Deltas) -> None:
    """Move each touched learner's count; one with records more (or no more) moves the total."""
    changed = sorted(learner for learner, change in deltas.learners.items() if change)
    for chunk in _chunks(changed):
        had: dict[str, int] = dict(
            connection.execute(
                select(learner_count_t.c.learner, learner_count_t.c.records).where(
                    among(connection, learner_count_t.c.learner, chunk)
                )
            ).all()
        )
        connection.execute(
            delete(learner_count_t).where(among(connection, learner_count_t.c.learner, chunk))
        )
        rows = []
        for learner in chunk:
            before = int(had.get(learner, 0))
            after = before + deltas.learners[learner]
            if after > 0:
                rows.append({"learner": learner, "records": after})
            deltas.counts[LEARNERS] += (after > 0) - (before > 0)
        if rows:
            bulk_insert(connection, learner_count_t, rows)


def _store(connection: Connection, deltas: _Deltas) -> None:
    touched = {key for key, change in deltas.counts.items() if change}
    touched |= {("evaluations", policy) for policy in deltas.credits}
    if not touched:
        return
    figures = sorted({figure for figure, _ in touched})
    existing = {
        (row.figure, row.key): row
        for row in connection.execute(select(total_t).where(total_t.c.figure.in_(figures)))
        if (row.figure, row.key) in touched
    }
    for key in sorted(touched):
        row = existing.get(key)
        count = (0 if row is None else int(row.tally)) + deltas.counts[key]
        credits: str | None = None
        if key[0] == "evaluations":
            held = Decimal(0) if row is None or row.credits is None else Decimal(row.credits)
            credits = str(held + deltas.credits.get(key[1], Decimal(0)))
        where = (total_t.c.figure == key[0]) & (total_t.c.key == key[1])
        if count == 0:
            connection.execute(delete(total_t).where(where))
        elif row is None:
            connection.execute(
                insert(total_t).values(figure=key[0], key=key[1], tally=count, credits=credits)
            )
        else:
            connection.execute(update(total_t).where(where).values(tally=count, credits=credits))


def advance(connection: Connection) -> tuple[int, int]:
    """Count what changed past the mark into the totals, in the caller's write transaction.

    Returns how many record versions and evaluations it read. Concurrent refreshes queue on
    the mark row; a record changed again while this runs is counted as it stands when read,
    and its later version finds nothing more to add.
    """
    mark = connection.execute(select(mark_t).where(mark_t.c.id == MARK).with_for_update()).one()
    deltas = _Deltas()
    versions = _advance_versions(connection, mark.records_index, deltas)
    evaluations = _advance_evaluations(connection, mark.evaluations_index, deltas)
    _count_learners(connection, deltas)
    _store(connection, deltas)
    if versions[0] or evaluations[0]:
        connection.execute(
            update(mark_t)
            .where(mark_t.c.id == MARK)
            .values(records_index=versions[1], evaluations_index=evaluations[1])
        )
    return versions[0], evaluations[0]


def _advance_versions(connection: Connection, mark: int, deltas: _Deltas) -> tuple[int, int]:
    read = 0
    while True:
        page = connection.execute(
            select(version_t.c.record, version_t.c.ledger_index)
            .where(version_t.c.ledger_index > mark)
            .order_by(version_t.c.ledger_index)
            .limit(PAGE)
        ).all()
        if not page:
            return read, mark
        _recount_records(connection, sorted({row.record for row in page}), deltas)
        read += len(page)
        mark = page[-1].ledger_index


def _content(box: Vault, learner: str, record: str, version: int, stored: str) -> Any:
    """A counted version's outcome; nothing to classify once its learner was erased."""
    if not box.readable(learner):
        return {}
    return load_content(box, learner, record, version, stored)


def _advance_evaluations(connection: Connection, mark: int, deltas: _Deltas) -> tuple[int, int]:
    read = 0
    while True:
        page = connection.execute(
            select(
                evaluation_t.c.id,
                evaluation_t.c.learner,
                evaluation_t.c.policy_id,
                evaluation_t.c.result,
                evaluation_t.c.ledger_index,
            )
            .where(evaluation_t.c.ledger_index > mark)
            .order_by(evaluation_t.c.ledger_index)
            .limit(PAGE)
        ).all()
        if not page:
            return read, mark
        for row in page:
            deltas.counts[("evaluations", row.policy_id)] += 1
            result = read_result(connection, row) if vault(connection).readable(row.learner) else {}
            recognised = Decimal(str(result.get("recognised_credits", "0")))
            deltas.credits[row.policy_id] = deltas.credits.get(row.policy_id, Decimal(0)) + (
                recognised
            )
        read += len(page)
        mark = page[-1].ledger_index


def _grouped(rows: Iterable[Any], figure: str) -> Counter[str]:
    return Counter({row.key: int(row.tally) for row in rows if row.figure == figure})


def figures(connection: Connection, policies: Mapping[str, Policy]) -> Indicators:
    """The indicators from the totals (as far as the last :func:`advance` counted)."""
    rows = connection.execute(select(total_t)).all()
    by_month: dict[str, Counter[str]] = {}
    for key, count in _grouped(rows, "month").items():
        month, _, kind = key.partition("\t")
        by_month.setdefault(month, Counter())[kind] = count
    certificates: Counter[tuple[str, str]] = Counter()
    for key, count in _grouped(rows, "certificate").items():
        title, _, level = key.partition("\t")
        certificates[(title, level)] = count
    evaluations: Counter[str] = Counter()
    credits: dict[str, Decimal] = {}
    for row in rows:
        if row.figure != "evaluations":
            continue
        policy = policies.get(row.key)
        pathway = policy.pathway if policy is not None else row.key
        evaluations[pathway] += int(row.tally)
        credits[pathway] = credits.get(pathway, Decimal(0)) + Decimal(row.credits or "0")
    single = {(row.figure, row.key): int(row.tally) for row in rows}
    checkpoint = latest_checkpoint(connection)
    return Indicators(
        records=single.get(RECORDS, 0),
        by_month=dict(sorted(by_month.items())),
        by_kind=_grouped(rows, "kind"),
        by_level=_grouped(rows, "level"),
        by_institution=_grouped(rows, "institution"),
        by_region=_grouped(rows, "region"),
        certificates=certificates,
        evaluations_by_pathway=evaluations,
        credits_by_pathway=credits,
        learners=int(active_accounts(connection)),
        learners_with_records=single.get(LEARNERS, 0),
        ledger_size=read_head(connection).size,
        checkpoint_size=None if checkpoint is None else checkpoint.size,
        checkpoint_at=None if checkpoint is None else as_utc(checkpoint.created_at),
    )
