"""What a printed transcript shows: a plain, typed summary read off a signed credential.

The PDF renderer works on this view only, never on the JSON-LD, so layout code does not know
the credential's shape and the credential's shape can change without touching the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class RecordLine:
    """One record on the transcript."""

    kind: str  # "course" | "certificate" | "training" | "award" | "transfer"
    name_zh: str
    name_en: str | None
    institution_zh: str
    institution_en: str | None
    level: str | None  # education level (中职/高职/本科…) or certificate level
    result: str | None  # grade, certificate level, award rank, as printed
    credits: Decimal | None
    hours: int | None  # 学时
    term: str | None  # e.g. "2024-2025-1"
    awarded_on: date | None
    ledger_index: int


@dataclass(frozen=True)
class TranscriptView:
    """Everything the printable transcript needs, in display order."""

    credential_id: str
    learner_name: str
    learner_reference: str  # a pseudonymous reference, never the ID number
    issuer_name_zh: str
    issuer_name_en: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    records: tuple[RecordLine, ...]
    verification_code: str
    verification_url: str  # what the QR code encodes
    checkpoint_size: int
    checkpoint_root_b64: str

    @property
    def total_credits(self) -> Decimal:
        """Sum of the credits of every record that carries credits."""
        return sum((line.credits for line in self.records if line.credits is not None), Decimal(0))

    @property
    def total_hours(self) -> int:
        """Sum of the 学时 of every record that states them."""
        return sum(line.hours for line in self.records if line.hours is not None)
