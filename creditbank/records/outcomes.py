"""The four kinds of learning outcome, as typed immutable values.

``to_payload`` gives the plain-JSON form committed in the log and disclosed in transcripts:
stable key names, ISO dates, decimals as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from creditbank.records.grades import Grade
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Term,
)

MAX_COURSE_HOURS = 2000
MAX_COURSE_CREDITS = Decimal(30)
MAX_TRAINING_HOURS = 5000


def _optional(value: Any) -> Any:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class CourseOutcome:
    """A course taken at an institution: 学时, credits, grade, term."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.COURSE
    course_code: str
    title_zh: str
    title_en: str | None
    source_institution: str
    level: Level
    programme: str
    term: Term
    hours: int
    credits: Decimal
    grade: Grade
    completed_on: date

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "course_code": self.course_code,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "source_institution": self.source_institution,
            "level": self.level.value,
            "programme": self.programme,
            "term": str(self.term),
            "hours": self.hours,
            "credits": str(self.credits),
            "grade": self.grade.to_payload(),
            "completed_on": self.completed_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class CertificateOutcome:
    """A certificate: 1+X 职业技能等级证书 or another, with its level and dates."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.CERTIFICATE
    certificate_type: CertificateType
    title: str
    level: CertificateLevel | None
    certificate_number: str
    awarding_organisation: str
    issued_on: date
    expires_on: date | None

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "certificate_type": self.certificate_type.value,
            "title": self.title,
            "level": None if self.level is None else self.level.value,
            "certificate_number": self.certificate_number,
            "awarding_organisation": self.awarding_organisation,
            "issued_on": self.issued_on.isoformat(),
            "expires_on": _optional(self.expires_on and self.expires_on.isoformat()),
        }


@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    """Enterprise or organisation training: hours and the assessment result."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.TRAINING
    provider: str
    title: str
    hours: int
    result: Grade
    started_on: date
    completed_on: date

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "provider": self.provider,
            "title": self.title,
            "hours": self.hours,
            "result": self.result.to_payload(),
            "started_on": self.started_on.isoformat(),
            "completed_on": self.completed_on.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AwardOutcome:
    """A skills-competition award (技能大赛)."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.AWARD
    competition: str
    level: CompetitionLevel
    rank: AwardRank
    awarded_on: date
    track: str | None

    def to_payload(self) -> dict[str, Any]:
        """The committed JSON form."""
        return {
            "kind": self.kind.value,
            "competition": self.competition,
            "level": self.level.value,
            "rank": self.rank.value,
            "awarded_on": self.awarded_on.isoformat(),
            "track": self.track,
        }


Outcome = CourseOutcome | CertificateOutcome | TrainingOutcome | AwardOutcome
