"""The dashboard reads the indicators from a snapshot that a scheduled job refreshes.

The leader's ``dashboard`` job (every ten seconds by default, ``CREDITBANK_DASHBOARD_SECONDS``)
advances the running totals by what changed since its last run
(:mod:`creditbank.indicators.totals`) and keeps the figures in ``indicator_snapshot``; a page
view reads that one row. The figures are at most one job interval old, and a refresh costs
what changed, not what the bank holds. Only a bank that has never refreshed does it on the
spot, once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from creditbank.clock import as_utc
from creditbank.indicators import totals
from creditbank.indicators.service import Indicators
from creditbank.indicators.tables import IndicatorSnapshot
from creditbank.rules.policy import Policy
from creditbank.storage.database import read_connection, write_transaction

snapshot_t = IndicatorSnapshot.__table__  # type: ignore[attr-defined]
ROW = 1


@dataclass(frozen=True)
class Snapshot:
    """The indicators and when they were computed."""

    figures: Indicators
    computed_at: datetime


def encode(figures: Indicators) -> str:
    """The indicators as JSON (tuple keys joined by a tab, decimals as strings)."""
    return json.dumps(
        {
            "records": figures.records,
            "by_month": {m: dict(c) for m, c in figures.by_month.items()},
            "by_kind": dict(figures.by_kind),
            "by_level": dict(figures.by_level),
            "by_institution": dict(figures.by_institution),
            "by_region": dict(figures.by_region),
            "certificates": {f"{t}\t{lv}": n for (t, lv), n in figures.certificates.items()},
            "evaluations_by_pathway": dict(figures.evaluations_by_pathway),
            "credits_by_pathway": {p: str(v) for p, v in figures.credits_by_pathway.items()},
            "learners": figures.learners,
            "learners_with_records": figures.learners_with_records,
            "ledger_size": figures.ledger_size,
            "checkpoint_size": figures.checkpoint_size,
            "checkpoint_at": None
            if figures.checkpoint_at is None
            else figures.checkpoint_at.isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def decode(text: str) -> Indicators:
    """The inverse of :func:`encode`."""
    body: dict[str, Any] = json.loads(text)
    certificates: Counter[tuple[str, str]] = Counter()
    for key, count in body["certificates"].items():
        title, _, level = key.partition("\t")
        certificates[(title, level)] = count
    at = body["checkpoint_at"]
    return Indicators(
        records=body["records"],
        by_month={m: Counter(c) for m, c in body["by_month"].items()},
        by_kind=Counter(body["by_kind"]),
        by_level=Counter(body["by_level"]),
        by_institution=Counter(body["by_institution"]),
        by_region=Counter(body["by_region"]),
        certificates=certificates,
        evaluations_by_pathway=Counter(body["evaluations_by_pathway"]),
        credits_by_pathway={p: Decimal(v) for p, v in body["credits_by_pathway"].items()},
        learners=body["learners"],
        learners_with_records=body["learners_with_records"],
        ledger_size=body["ledger_size"],
        checkpoint_size=body["checkpoint_size"],
        checkpoint_at=None if at is None else as_utc(datetime.fromisoformat(at)),
    )


def refresh(engine: Engine, policies: Mapping[str, Policy], *, now: datetime) -> Snapshot:
    """Count what changed into the totals and keep the figures as the snapshot."""
    with write_transaction(engine) as connection:
        totals.advance(connection)
        figures = totals.figures(connection, policies)
        body = encode(figures)
        change = update(snapshot_t).where(snapshot_t.c.id == ROW).values(computed_at=now, body=body)
        if not connection.execute(change).rowcount:
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(snapshot_t).values(id=ROW, computed_at=now, body=body)
                    )
            except IntegrityError:
                # Another process stored the first snapshot meanwhile: overwrite it.
                connection.execute(change)
    return Snapshot(figures, now)


def stored(engine: Engine) -> Snapshot | None:
    """The last snapshot stored, if the job has run (read-only: a replica may answer)."""
    with read_connection(engine) as connection:
        row = connection.execute(select(snapshot_t).where(snapshot_t.c.id == ROW)).first()
    return None if row is None else Snapshot(decode(row.body), as_utc(row.computed_at))


def latest(engine: Engine, policies: Mapping[str, Policy], *, now: datetime) -> Snapshot:
    """The last snapshot (computed once here if the job has never run)."""
    return stored(engine) or refresh(engine, policies, now=now)
