"""How a record reads on a page: its title, date, level and credits, from its payload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from creditbank.institutions.service import list_institutions
from creditbank.records.service import RecordView
from creditbank.records.vocabulary import (
    Attempt,
    AwardRank,
    CertificateLevel,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Vocabulary,
)
from creditbank.storage.database import read_connection
from creditbank.web.i18n import current_language, label
from creditbank.wiring import services

_DATE_FIELDS = ("completed_on", "issued_on", "awarded_on")


@dataclass(frozen=True)
class OutcomeLine:
    """One record as a line of a page."""

    id: str
    kind: OutcomeKind
    title: str
    # The language the title is written in (a BCP 47 tag), for the page's lang attribute.
    title_lang: str
    level: Vocabulary | None
    detail: str
    credits: Decimal | None
    hours: int | None
    on: str
    institution: str
    status: str
    ledger_index: int


def _level(content: Mapping[str, Any]) -> Vocabulary | None:
    kind = content.get("kind")
    raw = content.get("level")
    if raw is None:
        return None
    vocabulary: type[Vocabulary] = {
        "course": Level,
        "certificate": CertificateLevel,
        "award": CompetitionLevel,
    }.get(str(kind), Level)
    try:
        return vocabulary(raw)
    except ValueError:
        return None


def _grade(grade: Any) -> str:
    """A grade with its scale in words: ``86（百分制）``, ``86 (percentage)``."""
    if not isinstance(grade, Mapping):
        return ""
    value = str(grade.get("value", ""))
    scale = grade.get("scale")
    if not scale:
        return value
    words = label(str(scale), "GradeScale")
    return f"{value}（{words}）" if current_language() == "zh" else f"{value} ({words})"


def _written_in(text: str) -> str:
    """The language a title supplied by an institution is written in, as far as it shows."""
    return "en" if text.isascii() else "zh-CN"


def line_of(view: RecordView) -> OutcomeLine:
    """The display line of a record as it stands."""
    content = view.current.content
    kind = OutcomeKind(view.kind)
    english = current_language() == "en"
    if kind is OutcomeKind.COURSE:
        title = str((english and content.get("title_en")) or content.get("title_zh", ""))
        detail = f"{content.get('course_code', '')} · {_grade(content.get('grade'))}"
        if content.get("attempt") == Attempt.MAKEUP:
            detail += f" ({label(Attempt.MAKEUP)})"
    elif kind is OutcomeKind.CERTIFICATE:
        title = str(content.get("title", ""))
        detail = str(content.get("certificate_number", ""))
    elif kind is OutcomeKind.TRAINING:
        title = str(content.get("title", ""))
        detail = f"{content.get('provider', '')} · {_grade(content.get('result'))}"
    else:
        title = str(content.get("competition", ""))
        rank = content.get("rank")
        detail = label(AwardRank(rank)) if rank in set(AwardRank) else str(rank or "")
    on = next((str(content[f]) for f in _DATE_FIELDS if content.get(f)), "")
    credits = content.get("credits")
    hours = content.get("hours")
    return OutcomeLine(
        view.id,
        kind,
        title,
        _written_in(title),
        _level(content),
        detail,
        None if credits is None else Decimal(str(credits)),
        hours if isinstance(hours, int) else None,
        on,
        view.institution,
        view.status.value,
        view.current.ledger_index,
    )


@dataclass(frozen=True)
class KindLevelTotal:
    """Records of one kind at one level, and their credits."""

    kind: OutcomeKind
    level: Vocabulary | None
    count: int
    credits: Decimal


def totals(lines: Sequence[OutcomeLine]) -> list[KindLevelTotal]:
    """Active records summed by kind and level, in a stable order."""
    sums: dict[tuple[OutcomeKind, Vocabulary | None], tuple[int, Decimal]] = {}
    for line in lines:
        if line.status != "active":
            continue
        count, credits = sums.get((line.kind, line.level), (0, Decimal(0)))
        sums[(line.kind, line.level)] = (count + 1, credits + (line.credits or Decimal(0)))
    kinds = list(OutcomeKind)
    return [
        KindLevelTotal(kind, level, count, credits)
        for (kind, level), (count, credits) in sorted(
            sums.items(), key=lambda item: (kinds.index(item[0][0]), str(item[0][1] or ""))
        )
    ]


def institution_names() -> dict[str, str]:
    """Member institutions' names in the language of this request, by code."""
    with read_connection(services().engine) as connection:
        found = list_institutions(connection)
    english = current_language() == "en"
    return {i.info.code: i.info.name_en if english else i.info.name_zh for i in found}
