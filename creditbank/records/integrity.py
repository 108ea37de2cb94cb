"""Checking the editable record tables against the payloads the log committed to.

``outcome_record`` and ``record_version`` are what the API serves and evaluations read; the log
only holds commitments to the payloads kept in ``ledger_opening``. Someone with write access to
the database could change a grade in ``record_version`` without touching the log, and every
ledger check would still pass. These checks compare each record change in the log with the
rows that claim to reflect it (content, action, reason, record, learner, institution, status),
and the reverse (a row that cites no record entry), and raise :class:`AuditFailed` naming the
ledger index. The ledger's own audit must have passed first: the openings are trusted here
because it checked them against the commitments.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select

from creditbank.canonical import canonical_json
from creditbank.errors import AuditFailed, AuditFinding, LedgerError
from creditbank.identity.sealing import SealError
from creditbank.learners.data_keys import Vault, vault
from creditbank.ledger.envelope import EntryKind, decode_envelope
from creditbank.ledger.store import entry_t, read_entries, read_openings
from creditbank.records.contents import open_content
from creditbank.records.service import Action, RecordStatus, record_t, version_t

ACTIONS = {
    EntryKind.RECORD_POSTED.value: Action.POSTED,
    EntryKind.RECORD_CORRECTED.value: Action.CORRECTED,
    EntryKind.RECORD_REVOKED.value: Action.REVOKED,
}
PAGE = 2000
_CHUNK = 500  # under SQLite's bound-parameter limit


def _fail(check: str, detail: str, index: int | None) -> AuditFailed:
    return AuditFailed(AuditFinding(check, detail, index))


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _record_kinds(page: Sequence[tuple[int, bytes]]) -> dict[int, Action]:
    found: dict[int, Action] = {}
    for idx, data in page:
        try:
            kind = decode_envelope(data).kind
        except LedgerError as exc:
            raise _fail("envelope", exc.detail, idx) from None
        if kind in ACTIONS:
            found[idx] = ACTIONS[kind]
    return found


def _versions_citing(connection: Connection, indices: Sequence[int]) -> dict[int, Any]:
    rows: dict[int, Any] = {}
    for chunk in _chunks(sorted(indices)):
        for row in connection.execute(select(version_t).where(version_t.c.ledger_index.in_(chunk))):
            rows[row.ledger_index] = row
    return rows


def _version(connection: Connection, record: str, version: int) -> Any:
    return connection.execute(
        select(version_t).where(version_t.c.record == record, version_t.c.version == version)
    ).first()


def _entry_learner(connection: Connection, row: Any) -> str:
    """The learner the version's own entry names (its content is sealed under their key)."""
    opening = read_openings(connection, [row.ledger_index]).get(row.ledger_index)
    return "" if opening is None else str(json.loads(opening[1]).get("learner"))


def _stored_content(box: Vault, row: Any, learner: str) -> str:
    try:
        return open_content(box, learner, row.record, row.version, row.content)
    except SealError:
        raise _fail(
            "record content",
            f"record {row.record} version {row.version}: the stored outcome does not open "
            "under the learner's key (altered, or moved from another row)",
            row.ledger_index,
        ) from None


def _check_change(
    connection: Connection,
    idx: int,
    action: Action,
    payload: dict[str, Any],
    row: Any,
    *,
    box: Vault,
) -> str:
    """One record change against its row; return the outcome's kind."""
    record, version = payload.get("record"), payload.get("version")
    where = f"record {record} version {version}"
    if row is None:
        raise _fail(
            "record version missing",
            f"entry {idx} ({action.value}) of {where} has no record_version row",
            idx,
        )
    if (row.record, row.version) != (record, version):
        raise _fail(
            "record version",
            f"the row citing entry {idx} is record {row.record} version {row.version}, "
            f"the entry is {where}",
            idx,
        )
    if row.action != action.value:
        raise _fail(
            "record action", f"{where}: row says {row.action!r}, entry {action.value!r}", idx
        )
    if row.reason != payload.get("reason"):
        raise _fail("record reason", f"{where}: the stored reason differs from the entry's", idx)
    if action is Action.POSTED:
        committed = payload.get("outcome")
    else:
        previous = _version(connection, str(record), int(version or 0) - 1)
        if previous is None or previous.ledger_index != payload.get("supersedes"):
            raise _fail(
                "record version",
                f"{where}: the version it supersedes is not the row at entry "
                f"{payload.get('supersedes')}",
                idx,
            )
        if "outcome" in payload:
            committed = payload["outcome"]
        else:
            committed = json.loads(
                _stored_content(box, previous, _entry_learner(connection, previous))
            )
    stored = _stored_content(box, row, str(payload.get("learner")))
    if json.loads(stored) != committed or stored != canonical_json(committed).decode():
        raise _fail(
            "record content",
            f"{where}: the stored outcome differs from the payload committed in the log",
            idx,
        )
    return str((committed or {}).get("kind"))


def _check_record_rows(
    connection: Connection, owners: dict[str, tuple[int, dict[str, Any]]]
) -> None:
    """Each record row names what its entries did and stands where its latest version left it."""
    ids = sorted(owners)
    rows: dict[str, Any] = {}
    current: dict[str, Any] = {}
    for chunk in _chunks(ids):
        rows.update(
            (row.id, row)
            for row in connection.execute(select(record_t).where(record_t.c.id.in_(chunk)))
        )
        joined = select(record_t.c.id, version_t.c.action).join(
            version_t,
            and_(version_t.c.record == record_t.c.id, version_t.c.version == record_t.c.version),
        )
        current.update(
            (rid, action)
            for rid, action in connection.execute(joined.where(record_t.c.id.in_(chunk)))
        )
    for rid in ids:
        idx, facts = owners[rid]
        row = rows.get(rid)
        if row is None:
            raise _fail("record row", f"record {rid} of entry {idx} has no outcome_record row", idx)
        for field in ("learner", "institution", "kind"):
            if getattr(row, field) != facts[field]:
                raise _fail(
                    "record row",
                    f"record {rid}: the row's {field} {getattr(row, field)!r} differs from "
                    f"{facts[field]!r} committed at entry {idx}",
                    idx,
                )
        if rid not in current:
            raise _fail(
                "record row", f"record {rid} says version {row.version}, which has no row", idx
            )
        revoked = current[rid] == Action.REVOKED.value
        if (row.status == RecordStatus.REVOKED.value) != revoked:
            raise _fail(
                "record status",
                f"record {rid} is {row.status!r} but its version {row.version} is {current[rid]!r}",
                idx,
            )


def check_entries(connection: Connection, page: Sequence[tuple[int, bytes]]) -> int:
    """Check the record changes among ``page`` (index, entry bytes) and the rows citing them.

    Returns how many record changes were checked.
    """
    indices = [idx for idx, _ in page]
    kinds = _record_kinds(page)
    versions = _versions_citing(connection, indices)
    for idx in sorted(set(versions) - set(kinds)):
        row = versions[idx]
        raise _fail(
            "record version",
            f"record {row.record} version {row.version} cites entry {idx}, "
            "which is not a record change",
            idx,
        )
    openings = read_openings(connection, list(kinds))
    # Erased openings are absent: nothing left to compare with.
    payloads = {idx: json.loads(opening[1]) for idx, opening in openings.items()}
    box = vault(connection)  # one key read for all the page's learners, not one per change
    box.prefetch({str(p.get("learner")) for p in payloads.values()})
    owners: dict[str, tuple[int, dict[str, Any]]] = {}
    for idx, action in sorted(kinds.items()):
        payload = payloads.get(idx)
        if payload is None:
            continue
        kind = _check_change(connection, idx, action, payload, versions.get(idx), box=box)
        owners.setdefault(
            str(payload["record"]),
            (
                idx,
                {
                    "learner": payload.get("learner"),
                    "institution": payload.get("institution"),
                    "kind": kind,
                },
            ),
        )
    _check_record_rows(connection, owners)
    return len(kinds)


def check_range(connection: Connection, start: int, end: int) -> int:
    """Check every record change with an index in ``[start, end)``; return how many."""
    checked = 0
    for first in range(start, end, PAGE):
        checked += check_entries(
            connection, read_entries(connection, first, min(first + PAGE, end))
        )
    return checked


def check_indices(connection: Connection, indices: Collection[int]) -> int:
    """Check the record changes at ``indices`` (a sample of old entries)."""
    wanted = sorted(indices)
    page: list[tuple[int, bytes]] = []
    for chunk in _chunks(wanted):
        page += [
            (idx, bytes(data))
            for idx, data in connection.execute(
                select(entry_t.c.idx, entry_t.c.data).where(entry_t.c.idx.in_(chunk))
            )
        ]
    return check_entries(connection, page)


def check_all(connection: Connection, size: int) -> int:
    """Every record change in the log, then that no row exists beyond them."""
    checked = check_range(connection, 0, size)
    versions = connection.execute(select(func.count()).select_from(version_t)).scalar_one()
    if versions != checked:
        raise _fail(
            "record version",
            f"{versions} record_version rows, the log holds {checked} record changes",
            None,
        )
    posted = connection.execute(
        select(func.count()).select_from(version_t).where(version_t.c.version == 1)
    ).scalar_one()
    records = connection.execute(select(func.count()).select_from(record_t)).scalar_one()
    if records != posted:
        raise _fail(
            "record row", f"{records} outcome_record rows, the log posted {posted} records", None
        )
    return checked
