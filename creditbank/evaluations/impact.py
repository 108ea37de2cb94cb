"""What a new version of a policy would change for the learners evaluated under the previous one.

For each learner whose latest committed evaluation under the policy used the previous
version, the evaluation is run again under the new version from the same recorded inputs,
on the same date, with the registrars' decisions that still name courses of the new
programme. The new version is applied as if in force (its window is not what is asked), so
the figures show what its rules change. Transfers are the courses recognised (credits above
zero); one is added, removed, or changed (other credits).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from creditbank.evaluations.sealed_results import read_result
from creditbank.evaluations.service import recorded_sources
from creditbank.evaluations.tables import CommittedEvaluation
from creditbank.rules.evaluate import (
    Exception_,
    Exclude,
    Force,
    SetCredits,
    Waive,
    evaluate,
    exception_from_json,
)
from creditbank.rules.policy import Policy
from creditbank.spreadsheet import safe_row

evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]

CSV_HEADER = [
    "learner_id",
    "evaluation_id",
    "credits_before",
    "credits_after",
    "change",
    "transfers_added",
    "transfers_removed",
    "transfers_changed",
]


@dataclass(frozen=True)
class LearnerChange:
    """One learner whose result would change."""

    learner: str | None  # None where the viewer may not see learners (the bank's operators)
    evaluation: str
    before: str
    after: str
    change: str
    added: list[str]
    removed: list[str]
    changed: list[str]


@dataclass(frozen=True)
class Impact:
    """The figures shown before publishing, and the learners behind them."""

    previous_version: str | None
    evaluations: int
    unchanged: int
    learners_up: int
    learners_down: int
    credits_up: str
    credits_down: str
    transfers_added: int
    transfers_removed: int
    transfers_changed: int
    changes: list[LearnerChange]

    def as_json(self) -> dict[str, Any]:
        """The stored and answered form."""
        return asdict(self)

    @staticmethod
    def from_json(raw: dict[str, Any]) -> Impact:
        """Back from :meth:`as_json`."""
        changes = [LearnerChange(**item) for item in raw["changes"]]
        return Impact(**{**raw, "changes": changes})


def _transfers(body: dict[str, Any]) -> dict[str, Decimal]:
    return {
        c["code"]: Decimal(str(c["recognised_credits"]))
        for c in body["courses"]
        if Decimal(str(c["recognised_credits"])) > 0
    }


def _still_valid(policy: Policy, items: Sequence[Exception_]) -> list[Exception_]:
    courses = {c.code for c in policy.programme.courses}
    kept: list[Exception_] = []
    for item in items:
        if isinstance(item, Force | Waive | SetCredits) and item.target not in courses:
            continue
        kept.append(item)
    return kept


def latest_under(connection: Connection, policy_id: str, version: str) -> list[Any]:
    """Each learner's latest committed evaluation under ``policy_id``, where it used ``version``."""
    rows = connection.execute(
        select(evaluation_t)
        .where(evaluation_t.c.policy_id == policy_id)
        .order_by(evaluation_t.c.ledger_index)
    ).all()
    latest: dict[str, Any] = {}
    for row in rows:
        latest[row.learner] = row
    return [row for row in latest.values() if row.policy_version == version]


def analyse(
    connection: Connection, new: Policy, previous: Policy | None, *, show_learners: bool
) -> Impact:
    """The impact of ``new`` on the learners evaluated under ``previous``."""
    if previous is None:
        return Impact(None, 0, 0, 0, 0, "0", "0", 0, 0, 0, [])
    rows = latest_under(connection, previous.id, previous.version)
    changes: list[LearnerChange] = []
    up = down = unchanged = added_n = removed_n = changed_n = 0
    credits_up = credits_down = Decimal(0)
    for row in sorted(rows, key=lambda r: r.ledger_index):
        before_body = read_result(connection, row)
        sources = recorded_sources(connection, json.loads(row.inputs))
        recorded = [exception_from_json(item) for item in json.loads(row.exceptions)]
        kept = _still_valid(new, recorded)
        present = {s.record_id for s in sources}
        kept = [e for e in kept if not isinstance(e, Force | Exclude) or e.record_id in present]
        after_body = evaluate(new, sources, row.evaluated_on, kept, new.effective_from).body
        before, after = _transfers(before_body), _transfers(after_body)
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(c for c in set(before) & set(after) if before[c] != after[c])
        old = Decimal(str(before_body["recognised_credits"]))
        now = Decimal(str(after_body["recognised_credits"]))
        delta = now - old
        if not (added or removed or changed or delta):
            unchanged += 1
            continue
        if delta > 0:
            up += 1
            credits_up += delta
        elif delta < 0:
            down += 1
            credits_down -= delta
        added_n, removed_n, changed_n = (
            added_n + len(added),
            removed_n + len(removed),
            changed_n + len(changed),
        )
        changes.append(
            LearnerChange(
                row.learner if show_learners else None,
                row.id,
                str(old),
                str(now),
                str(delta),
                added,
                removed,
                changed,
            )
        )
    return Impact(
        previous.version,
        len(rows),
        unchanged,
        up,
        down,
        str(credits_up),
        str(credits_down),
        added_n,
        removed_n,
        changed_n,
        changes,
    )


def impact_csv(impact: Impact) -> str:
    """The learners whose results would change, one row each (formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(CSV_HEADER))
    for item in impact.changes:
        writer.writerow(
            safe_row(
                [
                    item.learner or "",
                    item.evaluation,
                    item.before,
                    item.after,
                    item.change,
                    " ".join(item.added),
                    " ".join(item.removed),
                    " ".join(item.changed),
                ]
            )
        )
    return out.getvalue()
