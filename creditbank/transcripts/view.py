"""What a printed transcript shows: a plain, typed summary read off a signed credential.

:func:`view_from_credential` fills it from an issued credential. The PDF renderer works on
this view only, never on the JSON-LD, so layout code does not know
the credential's shape and the credential's shape can change without touching the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any


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
    # The member that posted it, when that is not the institution it is from (a delegate).
    posted_by_zh: str | None = None
    posted_by_en: str | None = None
    # The grade scale of a grade (GradeScale code: percent, five_level …), printed beside it.
    result_scale: str | None = None

    @property
    def is_transfer(self) -> bool:
        """True for a course recognised by a committed evaluation."""
        return self.kind == "transfer"


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
        """Sum of the credits earned: every record with credits, recognised transfers aside.

        A transfer's credits were recognised from outcomes that may be on the transcript too,
        so adding them in would count the same learning twice.
        """
        return sum(
            (
                line.credits
                for line in self.records
                if line.credits is not None and not line.is_transfer
            ),
            Decimal(0),
        )

    @property
    def total_recognised(self) -> Decimal:
        """Sum of the credits recognised by transfer into a receiving programme."""
        return sum(
            (
                line.credits
                for line in self.records
                if line.credits is not None and line.is_transfer
            ),
            Decimal(0),
        )

    @property
    def has_transfers(self) -> bool:
        """True when a recognised transfer is on the transcript."""
        return any(line.is_transfer for line in self.records)

    @property
    def total_hours(self) -> int:
        """Sum of the 学时 of every record that states them."""
        return sum(line.hours for line in self.records if line.hours is not None)


def _day(text: Any) -> date | None:
    return None if not isinstance(text, str) else date.fromisoformat(text[:10])


def _moment(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _decimal(value: Any) -> Decimal | None:
    # Through str: 3.5 the float prints as "3.5", the decimal it was issued from.
    return (
        None
        if isinstance(value, bool) or not isinstance(value, int | float)
        else Decimal(str(value))
    )


def _learner_name(subject: Mapping[str, Any]) -> str:
    for identifier in subject.get("identifier") or []:
        if isinstance(identifier, Mapping) and identifier.get("identityType") == "name":
            return str(identifier.get("identityHash"))
    return ""


def _record_line(nested: Mapping[str, Any]) -> RecordLine:
    subject = nested["credentialSubject"]
    achievement = subject["achievement"]
    creator = achievement.get("creator") or {}
    institution = subject.get("source") or creator
    delegated = institution.get("institutionCode") != creator.get("institutionCode")
    evidence = nested["evidence"][0]
    results = subject.get("result") or []
    level = (
        achievement.get("educationLevel")
        or achievement.get("certificateLevel")
        or achievement.get("competitionLevel")
    )
    return RecordLine(
        kind=str(subject.get("recordKind")),
        name_zh=str(achievement.get("nameZh") or achievement.get("name")),
        name_en=achievement.get("nameEn"),
        institution_zh=str(institution.get("nameZh") or institution.get("name") or ""),
        institution_en=institution.get("nameEn"),
        level=None if level is None else str(level),
        result=str(results[0]["value"]) if results and "value" in results[0] else None,
        credits=_decimal(subject.get("creditsEarned")),
        hours=subject.get("hours") if isinstance(subject.get("hours"), int) else None,
        term=subject.get("term"),
        awarded_on=_day(nested.get("awardedDate")),
        ledger_index=int(evidence["ledgerIndex"]),
        posted_by_zh=str(creator.get("nameZh") or creator.get("name")) if delegated else None,
        posted_by_en=creator.get("nameEn") if delegated else None,
        result_scale=str(results[0]["gradeScale"])
        if results and results[0].get("gradeScale")
        else None,
    )


def view_from_credential(credential: Mapping[str, Any]) -> TranscriptView:
    """Read the printable view off an issued transcript (a ``ClrCredential``)."""
    subject = credential["credentialSubject"]
    issuer = credential["issuer"]
    nested = subject["verifiableCredential"]
    checkpoint = nested[0]["evidence"][0]["checkpoint"].split("\n")
    proof = credential["proof"][0] if isinstance(credential["proof"], list) else credential["proof"]
    return TranscriptView(
        credential_id=str(credential["id"]),
        learner_name=_learner_name(subject),
        learner_reference=str(subject["id"]),
        issuer_name_zh=str(issuer.get("nameZh") or issuer.get("name")),
        issuer_name_en=str(issuer.get("nameEn") or issuer.get("name")),
        issued_at=_moment(proof["created"]),
        valid_from=_moment(credential["validFrom"]),
        valid_until=_moment(credential["validUntil"]),
        records=tuple(_record_line(item) for item in nested),
        verification_code=str(credential["verificationCode"]),
        verification_url=str(credential["verificationPage"]),
        checkpoint_size=int(checkpoint[1]),
        checkpoint_root_b64=checkpoint[2],
    )
