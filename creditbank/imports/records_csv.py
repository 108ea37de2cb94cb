"""Bulk import of records from a registry office's CSV or XLSX file, safe to run again.

Each row names a learner by identity document (accounts are opened or found) and carries one
outcome. Every row is validated first; bad rows are reported with their line numbers and
never posted. A good row's ``external_id`` is a keyed hash of its content, so a row that was
posted before (by an earlier run, even of an edited file) is skipped, never doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from creditbank.canonical import canonical_json
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.documents import parse_document
from creditbank.identity.sealing import FieldSealer
from creditbank.imports.columns import REPORT_NAMES, english_header
from creditbank.imports.tabular import Table, TableRow
from creditbank.institutions.service import get_institution
from creditbank.learners.service import (
    NAME_MISMATCH,
    NewLearner,
    name_mismatches,
    open_accounts,
)
from creditbank.ledger.service import Ledger
from creditbank.numerals import whole
from creditbank.records.outcomes import Outcome
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import (
    BatchRequest,
    NewRecord,
    existing_external_ids,
    post_batch,
)
from creditbank.storage.database import read_connection
from creditbank.text import PERSON_NAME, TextRefused

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
        if key in IDENTITY_COLUMNS or key in REPORT_NAMES or key == "":
            continue
        text = (value or "").strip()
        if text == "":
            continue
        prefix, _, part = key.rpartition("_")
        if prefix in GRADE_FIELDS and part in ("scale", "value"):
            item.setdefault(prefix, {})[part] = text
        elif key in INTEGER_FIELDS:
            number = whole(text)
            item[key] = text if number is None else number  # not a number: the schema says so
        else:
            item[key] = text
    return item


def _rows(table: Table) -> Iterable[tuple[TableRow, dict[str, str]]]:
    names = english_header(table.header)
    if "kind" not in names:
        raise InvalidInput(
            "the header lacks kind", problems=[FieldProblem("kind", "missing column")]
        )
    for row in table.rows:
        cells = dict.fromkeys(names, "")
        for name, value in zip(names, row.cells, strict=False):
            cells[name] = value
        if len(row.cells) > len(names) and any(c.strip() for c in row.cells[len(names) :]):
            cells[""] = "extra"  # a cell beyond the header: reported below
        yield row, cells


def validate_rows(
    sealer: FieldSealer, table: Table, *, today: date
) -> tuple[list[_GoodRow], list[RowProblem], int]:
    """Check every row; return the good ones, every problem found, and the row count.

    ``sealer`` keys the hash that names each good row (its ``external_id``).
    """
    good: list[_GoodRow] = []
    problems: list[RowProblem] = []
    count = 0
    names = english_header(table.header)
    for source, row in _rows(table):
        count += 1
        line = source.line
        found: list[FieldProblem] = [
            FieldProblem(names[i] if i < len(names) else "file", why) for i, why in source.damaged
        ]
        if "" in row:
            found.append(FieldProblem("file", "the row has more cells than the header"))
        person = outcome = None
        try:
            document = parse_document(
                row.get("document_kind", ""), row.get("document_number", ""), today=today
            )
            try:
                name = PERSON_NAME.clean((row.get("name") or "").strip())
            except TextRefused as exc:
                raise InvalidInput("name", problems=[FieldProblem("name", str(exc))]) from None
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
    engine: Engine, sealer: FieldSealer, table: Table, institution: str, *, today: date
) -> ImportPlan:
    """Check every row of ``table`` (as of ``today``) and find those not posted before.

    Writes nothing: the web page shows the plan before anything is posted.
    """
    with read_connection(engine) as connection:
        get_institution(connection, institution)
    good, problems, count = validate_rows(sealer, table, today=today)
    with read_connection(engine) as connection:
        # A name other than the account's would stop the import half-way: refuse the row now.
        mismatched = {
            good[index].line
            for index in name_mismatches(connection, sealer, [row.person for row in good])
        }
        problems += [RowProblem(line, "name", NAME_MISMATCH) for line in sorted(mismatched)]
        good = [row for row in good if row.line not in mismatched]
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
