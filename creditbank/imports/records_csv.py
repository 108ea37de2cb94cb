"""Bulk import of records from a registry office's CSV file, safe to run again.

Each row names a learner by identity document (accounts are opened or found) and carries one
outcome. Every row is validated first; bad rows are reported with their line numbers and
never posted. A good row's ``external_id`` is a keyed hash of its content, so a row that was
posted before (by an earlier run, even of an edited file) is skipped, never doubled.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from creditbank.canonical import canonical_json
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.documents import parse_document
from creditbank.identity.sealing import FieldSealer
from creditbank.institutions.service import get_institution
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.ledger.service import Ledger
from creditbank.records.outcomes import Outcome
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import (
    BatchRequest,
    NewRecord,
    existing_external_ids,
    post_batch,
)
from creditbank.storage.database import read_connection

BATCH = 1000
IDENTITY_COLUMNS = ("document_kind", "document_number", "name")
# Columns holding a grade are written flat in CSV: <field>_scale and <field>_value.
GRADE_FIELDS = ("grade", "result")
INTEGER_FIELDS = ("hours",)


@dataclass(frozen=True)
class RowProblem:
    """A bad row: its line in the file, the column and why."""

    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    rows: int
    posted: int
    skipped: int
    problems: tuple[RowProblem, ...]


@dataclass(frozen=True)
class _GoodRow:
    line: int
    person: NewLearner
    outcome: Outcome
    external_id: str


def _outcome_item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for key, value in row.items():
        if key in IDENTITY_COLUMNS or key is None:
            continue
        text = (value or "").strip()
        if text == "":
            continue
        prefix, _, part = key.rpartition("_")
        if prefix in GRADE_FIELDS and part in ("scale", "value"):
            item.setdefault(prefix, {})[part] = text
        elif key in INTEGER_FIELDS:
            item[key] = int(text) if text.lstrip("-").isdigit() else text
        else:
            item[key] = text
    return item


def _rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in (*IDENTITY_COLUMNS, "kind") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            f"the CSV header lacks {', '.join(missing)}",
            problems=[FieldProblem(column, "missing column") for column in missing],
        )
    for row in reader:
        yield reader.line_num, row


def validate_rows(
    sealer: FieldSealer, text: str, *, today: date
) -> tuple[list[_GoodRow], list[RowProblem], int]:
    """Check every row; return the good ones, every problem found, and the row count.

    ``sealer`` keys the hash that names each good row (its ``external_id``).
    """
    good: list[_GoodRow] = []
    problems: list[RowProblem] = []
    count = 0
    for line, row in _rows(text):
        count += 1
        found: list[FieldProblem] = []
        person = outcome = None
        try:
            document = parse_document(
                row.get("document_kind", ""), row.get("document_number", ""), today=today
            )
            name = (row.get("name") or "").strip()
            if not 1 <= len(name) <= 100:
                raise InvalidInput("name", problems=[FieldProblem("name", "1-100 characters")])
            person = NewLearner(name, document)
        except InvalidInput as exc:
            found.extend(exc.problems)
        try:
            outcome = parse_outcome(_outcome_item(row), today=today)
        except InvalidInput as exc:
            found.extend(exc.problems)
        if found or person is None or outcome is None:
            problems += [RowProblem(line, p.field, p.reason) for p in found]
            continue
        # The same person and outcome always hash alike; the key keeps the hash unguessable.
        content = canonical_json(
            {
                "document": person.document.lookup_material().decode(),
                "outcome": outcome.to_payload(),
            }
        )
        external_id = "csv:" + sealer.lookup_hash(b"import|" + content)[:40]
        good.append(_GoodRow(line, person, outcome, external_id))
    return good, problems, count


@dataclass(frozen=True)
class ImportPlan:
    """A checked file: the rows still to post, and what was found."""

    institution: str
    rows: int
    fresh: tuple[_GoodRow, ...]
    skipped: int
    problems: tuple[RowProblem, ...]


def plan_import(
    engine: Engine, sealer: FieldSealer, path: Path, institution: str, *, today: date
) -> ImportPlan:
    """Check every row of ``path`` (as of ``today``) and find those not posted before.

    Writes nothing: the web page shows the plan before anything is posted.
    """
    return plan_text(engine, sealer, path.read_text(encoding="utf-8-sig"), institution, today=today)


def plan_text(
    engine: Engine, sealer: FieldSealer, text: str, institution: str, *, today: date
) -> ImportPlan:
    """:func:`plan_import` of a file already in memory (an upload: never written to disk)."""
    with read_connection(engine) as connection:
        get_institution(connection, institution)
    good, problems, count = validate_rows(sealer, text, today=today)
    with read_connection(engine) as connection:
        done = existing_external_ids(connection, institution, [row.external_id for row in good])
    fresh = tuple(row for row in good if row.external_id not in done)
    return ImportPlan(institution, count, fresh, len(good) - len(fresh), tuple(problems))


def post_plan(
    ledger: Ledger,
    sealer: FieldSealer,
    plan: ImportPlan,
    *,
    now: datetime,
    actor_key: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Open the accounts and post the records of a plan, in all-or-nothing batches.

    Each batch's idempotency key is a hash (keyed by ``sealer``) of its rows, so a batch
    interrupted and posted again is answered, not doubled.
    """
    institution = plan.institution
    posted = 0
    for start in range(0, len(plan.fresh), BATCH):
        chunk = plan.fresh[start : start + BATCH]
        accounts = open_accounts(
            ledger,
            sealer,
            [row.person for row in chunk],
            opened_by=institution,
            actor=f"institution:{institution}",
            now=now,
        )
        records = [
            NewRecord(account.learner_id, row.outcome, row.external_id)
            for account, row in zip(accounts, chunk, strict=True)
        ]
        body = canonical_json([row.external_id for row in chunk])
        key = "import:" + sealer.lookup_hash(body)[:40]
        post_batch(
            ledger,
            BatchRequest(institution, actor_key, key, body, records),
            now=now,
        )
        posted += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return ImportReport(plan.rows, posted, plan.skipped, plan.problems)


def write_problem_report(path: Path, problems: Sequence[RowProblem]) -> None:
    """Write the bad rows as CSV: line, field, reason."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "reason"])
        for problem in problems:
            writer.writerow([problem.line, problem.field, problem.reason])
