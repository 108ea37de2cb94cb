"""A copy of everything (查阅复制, 可携带): all the bank holds about one learner.

:func:`collect` reads, in one snapshot, the account with its identity fields unsealed, every
record with its history and ledger indices, consents, committed evaluations and recognised
transfers, transcripts issued and their status, who read the account (the access log),
correction requests, notices and sign-ins. :func:`export_data` logs the download as a
``learner.data_exported`` entry naming only the learner's id, and :func:`archive` packs the
copy as a ZIP of one JSON document and one CSV per table (cells made formula-safe).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from creditbank.auth.access_log import learner_reads
from creditbank.clock import as_utc
from creditbank.evaluations.sealed_results import read_result
from creditbank.evaluations.tables import CommittedEvaluation
from creditbank.evaluations.transfers import learner_transfers
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.identity.sealing import FieldSealer
from creditbank.learners import contact
from creditbank.learners.data_keys import vault
from creditbank.learners.service import (
    document_context,
    list_consents,
    name_context,
)
from creditbank.learners.tables import Learner, LearnerToken
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger
from creditbank.notices.service import Recipient, list_notices
from creditbank.records.service import learner_records, read_record
from creditbank.rights.corrections import learner_requests
from creditbank.spreadsheet import safe_row
from creditbank.storage.database import snapshot_connection
from creditbank.transcripts.tables import Transcript

FORMAT = "creditbank-learner-data/1"
learner_t = Learner.__table__  # type: ignore[attr-defined]
token_t = LearnerToken.__table__  # type: ignore[attr-defined]
evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]
transcript_t = Transcript.__table__  # type: ignore[attr-defined]
_NOTICE_LIMIT = 10_000

# The CSV files of the archive: the document's lists, one row per item, in this column order.
# Records are one row per version (``record_versions.csv``), their fields repeated.
TABLES: dict[str, tuple[str, ...]] = {
    "account": (
        "id",
        "name",
        "document_kind",
        "document_number",
        "email",
        "opened_by",
        "opened_at",
        "ledger_index",
        "assurance",
        "bound_by",
        "bound_at",
        "has_password",
        "set_aside_at",
        "merged_into",
    ),
    "record_versions": (
        "record",
        "kind",
        "institution",
        "source",
        "status",
        "version",
        "action",
        "reason",
        "recorded_at",
        "ledger_index",
        "content",
    ),
    "consents": (
        "id",
        "institution",
        "scope",
        "valid_from",
        "valid_until",
        "withdrawn_at",
        "granted_index",
        "withdrawn_index",
    ),
    "evaluations": (
        "id",
        "institution",
        "policy_id",
        "policy_version",
        "policy_hash",
        "evaluated_on",
        "committed_at",
        "ledger_index",
        "appeal_of",
        "result_hash",
        "result",
    ),
    "transfers": (
        "id",
        "evaluation",
        "institution",
        "status",
        "ledger_index",
        "superseded_by",
        "payload",
    ),
    "transcripts": (
        "id",
        "code",
        "language",
        "issued_at",
        "valid_until",
        "records",
        "status",
        "revoked_at",
        "revoked_reason",
        "ledger_index",
        "revoked_index",
    ),
    "access_log": ("at", "institution", "principal", "consent", "kind", "resource"),
    "correction_requests": (
        "id",
        "record",
        "institution",
        "record_version",
        "status",
        "reason",
        "requested_at",
        "requested_index",
        "answered_at",
        "answer_reason",
        "answered_index",
        "record_index",
    ),
    "notices": ("id", "kind", "created_at", "read_at", "params"),
    "sign_ins": ("issued_at", "expires_at", "signed_out_at"),
}


def _time(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _account(connection: Connection, sealer: FieldSealer, learner_id: str) -> dict[str, Any]:
    row = connection.execute(select(learner_t).where(learner_t.c.id == learner_id)).one()
    return {
        "id": row.id,
        # Unsealed in full: this is the learner's own copy. None once erased.
        "name": None
        if row.name_sealed is None
        else vault(connection).open(row.id, row.name_sealed, context=name_context(row.id)),
        "document_kind": row.document_kind,
        "document_number": None
        if row.document_sealed is None
        else vault(connection).open(row.id, row.document_sealed, context=document_context(row.id)),
        "email": contact.read_email(connection, sealer, learner_id),
        "opened_by": row.opened_by,
        "opened_at": _time(row.opened_at),
        "ledger_index": row.ledger_index,
        "assurance": row.assurance,
        "bound_by": row.bound_by,
        "bound_at": _time(row.bound_at),
        "has_password": row.password_hash is not None,
        "set_aside_at": _time(row.set_aside_at),
        "merged_into": row.merged_into,
    }


def _records(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    found = []
    for current in learner_records(connection, learner_id):
        view = read_record(connection, current.id, history=True)
        found.append(
            {
                "id": view.id,
                "kind": view.kind,
                "institution": view.institution,
                "source": view.source,
                "delegation": view.delegation,
                "status": view.status.value,
                "version": view.version,
                "posted_at": _time(view.posted_at),
                "updated_at": _time(view.updated_at),
                "ledger_index": view.current.ledger_index,
                "versions": [
                    {
                        "version": v.version,
                        "action": v.action.value,
                        "reason": v.reason,
                        "recorded_at": _time(v.recorded_at),
                        "ledger_index": v.ledger_index,
                        "content": dict(v.content),
                    }
                    for v in view.history
                ],
            }
        )
    return found


def _evaluations(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(evaluation_t)
        .where(evaluation_t.c.learner == learner_id)
        .order_by(evaluation_t.c.ledger_index)
    )
    return [
        {
            "id": row.id,
            "institution": row.institution,
            "policy_id": row.policy_id,
            "policy_version": row.policy_version,
            "policy_hash": row.policy_hash,
            "evaluated_on": row.evaluated_on.isoformat(),
            "committed_at": _time(row.committed_at),
            "ledger_index": row.ledger_index,
            "appeal_of": row.appeal_of,
            "result_hash": row.result_hash,
            "result": read_result(connection, row),
        }
        for row in rows
    ]


def _transfers(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": view.id,
            "evaluation": view.evaluation,
            "institution": view.institution,
            "status": "standing" if view.standing else "superseded",
            "ledger_index": view.ledger_index,
            "superseded_by": view.superseded_by,
            "payload": dict(view.payload),
        }
        for view in learner_transfers(connection, learner_id)
    ]


def _transcript_status(row: Any, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if as_utc(row.valid_until) <= now else "active"


def _transcripts(connection: Connection, learner_id: str, now: datetime) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(transcript_t)
        .where(transcript_t.c.learner == learner_id)
        .order_by(transcript_t.c.ledger_index)
    )
    return [
        {
            "id": row.id,
            "code": row.code,
            "language": row.language,
            "issued_at": _time(row.issued_at),
            "valid_until": _time(row.valid_until),
            "records": row.record_count,
            "status": _transcript_status(row, now),
            "revoked_at": _time(row.revoked_at),
            "revoked_reason": row.revoked_reason,
            "ledger_index": row.ledger_index,
            "revoked_index": row.revoked_index,
        }
        for row in rows
    ]


def _consents(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "institution": c.institution,
            "scope": c.scope.value,
            "valid_from": _time(c.valid_from),
            "valid_until": _time(c.valid_until),
            "withdrawn_at": _time(c.withdrawn_at),
            "granted_index": c.granted_index,
            "withdrawn_index": c.withdrawn_index,
        }
        for c in reversed(list_consents(connection, learner_id))
    ]


def _access_log(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    return [
        {
            "at": _time(read.at),
            "institution": read.institution,
            "principal": read.principal,
            "consent": read.consent,
            "kind": read.kind,
            "resource": read.resource,
        }
        for read in learner_reads(connection, learner_id)
    ]


def _corrections(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "record": r.record,
            "institution": r.institution,
            "record_version": r.record_version,
            "status": r.status.value,
            "reason": r.reason,
            "requested_at": _time(r.requested_at),
            "requested_index": r.requested_index,
            "answered_at": _time(r.answered_at),
            "answer_reason": r.answer_reason,
            "answered_index": r.answered_index,
            "record_index": r.record_index,
        }
        for r in learner_requests(connection, learner_id)
    ]


def _notices(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": n.id,
            "kind": n.kind.value,
            "created_at": _time(n.created_at),
            "read_at": _time(n.read_at),
            "params": dict(n.params),
        }
        for n in list_notices(connection, Recipient.LEARNER, learner_id, limit=_NOTICE_LIMIT)
    ]


def _sign_ins(connection: Connection, learner_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(token_t).where(token_t.c.learner == learner_id).order_by(token_t.c.issued_at)
    )
    return [
        {
            "issued_at": _time(row.issued_at),
            "expires_at": _time(row.expires_at),
            "signed_out_at": _time(row.revoked_at),
        }
        for row in rows
    ]


def collect(
    connection: Connection, sealer: FieldSealer, learner_id: str, *, now: datetime
) -> dict[str, Any]:
    """Everything the bank holds about the learner, as one JSON-ready document."""
    return {
        "account": _account(connection, sealer, learner_id),
        "records": _records(connection, learner_id),
        "consents": _consents(connection, learner_id),
        "evaluations": _evaluations(connection, learner_id),
        "transfers": _transfers(connection, learner_id),
        "transcripts": _transcripts(connection, learner_id, now),
        "access_log": _access_log(connection, learner_id),
        "correction_requests": _corrections(connection, learner_id),
        "notices": _notices(connection, learner_id),
        "sign_ins": _sign_ins(connection, learner_id),
    }


@dataclass(frozen=True)
class DataExport:
    """A learner's copy: the document, and the log entry that recorded its download."""

    learner: str
    generated_at: datetime
    ledger_index: int
    data: Mapping[str, Any]

    def document(self) -> dict[str, Any]:
        """The JSON document of the archive."""
        return {
            "format": FORMAT,
            "learner": self.learner,
            "generated_at": self.generated_at.isoformat(),
            "ledger_index": self.ledger_index,
            **self.data,
        }


def read_data(
    ledger: Ledger, sealer: FieldSealer, learner_id: str, *, now: datetime
) -> dict[str, Any]:
    """The learner's data as :func:`collect` gives it, in one snapshot (nothing is logged)."""
    with snapshot_connection(ledger.engine) as connection:
        return collect(connection, sealer, learner_id, now=now)


def export_data(
    ledger: Ledger, sealer: FieldSealer, learner_id: str, *, now: datetime
) -> DataExport:
    """Read the learner's data and log its download (the entry names only the learner's id)."""
    data = read_data(ledger, sealer, learner_id, now=now)
    with ledger.transaction() as tx:
        index = tx.record(
            EntryKind.LEARNER_DATA_EXPORTED, LEARNER_ACTOR, {"learner": learner_id}, now=now
        )
    return DataExport(learner_id, now, index, data)


def _cell(value: Any) -> Any:
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_text(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """A CSV table of ``rows`` (header first); every cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(columns))
    for row in rows:
        writer.writerow(safe_row(_cell(row.get(column)) for column in columns))
    return out.getvalue()


def tables(document: Mapping[str, Any]) -> dict[str, str]:
    """The archive's CSV files by name: one per table of the document."""
    version_rows = [
        {**record, **version, "record": record["id"]}
        for record in document["records"]
        for version in record["versions"]
    ]
    rows: dict[str, Sequence[Mapping[str, Any]]] = {
        "account": [document["account"]],
        "record_versions": version_rows,
        **{name: document[name] for name in TABLES if name not in ("account", "record_versions")},
    }
    return {f"{name}.csv": csv_text(columns, rows[name]) for name, columns in TABLES.items()}


_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # ZIP entries without the wall clock: same data, same bytes


def archive(export: DataExport) -> bytes:
    """The ZIP archive: ``data.json`` and one CSV per table, UTF-8 (CSV with a BOM for Excel)."""
    document = export.document()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
        zipped.writestr(
            zipfile.ZipInfo("data.json", _FIXED_TIME),
            body.encode("utf-8"),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for name, text in tables(document).items():
            zipped.writestr(
                zipfile.ZipInfo(name, _FIXED_TIME),
                ("\ufeff" + text).encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def archive_name(export: DataExport) -> str:
    """The download's file name."""
    day: date = export.generated_at.date()
    return f"creditbank-data-{export.learner[:8]}-{day.isoformat()}.zip"
