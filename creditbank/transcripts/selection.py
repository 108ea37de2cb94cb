"""What a transcript request may ask for, and which records and transfers it discloses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations.transfers import TransferView
from creditbank.records.service import RecordStatus, RecordView

MIN_VALIDITY_DAYS = 30
MAX_VALIDITY_DAYS = 180
LANGUAGES = ("zh", "en")
MAX_RECORDS = 500


def check_request(language: str, validity_days: int) -> None:
    """Refuse a language or a validity the bank does not issue, naming each field."""
    problems = []
    if language not in LANGUAGES:
        problems.append(FieldProblem("language", "must be 'zh' or 'en'"))
    if (
        isinstance(validity_days, bool)
        or not isinstance(validity_days, int)
        or not MIN_VALIDITY_DAYS <= validity_days <= MAX_VALIDITY_DAYS
    ):
        problems.append(
            FieldProblem(
                "validity_days", f"must be between {MIN_VALIDITY_DAYS} and {MAX_VALIDITY_DAYS}"
            )
        )
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.reason}" for p in problems), problems=problems)


@dataclass(frozen=True)
class Disclosed:
    """One thing a transcript discloses: a record's current version or a recognised transfer."""

    id: str
    ledger_index: int
    record_version: int | None  # None for a recognised transfer

    @property
    def is_transfer(self) -> bool:
        """True for a recognised transfer."""
        return self.record_version is None


def select_items(
    records: Sequence[RecordView],
    transfers: Sequence[TransferView],
    wanted: Sequence[str] | None,
) -> list[Disclosed]:
    """What to disclose: the chosen records and transfers in their order, or every one standing.

    With nothing chosen, every active record (in posting order) then every standing transfer
    (in ledger order).
    """
    found: dict[str, tuple[Disclosed, str | None]] = {}
    for record in records:
        problem = None if record.status is RecordStatus.ACTIVE else "is revoked"
        item = Disclosed(record.id, record.current.ledger_index, record.version)
        found[record.id] = (item, problem)
    for transfer in transfers:
        problem = (
            None
            if transfer.standing
            else "is under review: a source it relied on changed"
            if transfer.under_review
            else "is a superseded transfer"
        )
        found[transfer.id] = (Disclosed(transfer.id, transfer.ledger_index, None), problem)
    if wanted is None:
        active = sorted(
            (r for r in records if r.status is RecordStatus.ACTIVE),
            key=lambda r: (r.posted_at, r.current.ledger_index),
        )
        chosen = [found[r.id][0] for r in active]
        chosen += [found[t.id][0] for t in transfers if t.standing]
    else:
        problems = []
        seen: set[str] = set()
        for position, item_id in enumerate(wanted):
            entry = found.get(item_id)
            if item_id in seen:
                problems.append(FieldProblem("records", "is listed twice", position))
            elif entry is None:
                problems.append(
                    FieldProblem("records", "is not one of your records or transfers", position)
                )
            elif entry[1] is not None:
                problems.append(FieldProblem("records", entry[1], position))
            seen.add(item_id)
        if problems:
            raise InvalidInput(
                f"{len(problems)} of the chosen records cannot be included", problems=problems
            )
        chosen = [found[item_id][0] for item_id in wanted]
    if not chosen:
        raise InvalidInput(
            "a transcript needs at least one active record",
            problems=[FieldProblem("records", "no active records to include")],
        )
    if len(chosen) > MAX_RECORDS:
        raise InvalidInput(
            f"a transcript holds at most {MAX_RECORDS} records",
            problems=[FieldProblem("records", f"at most {MAX_RECORDS}")],
        )
    return chosen
