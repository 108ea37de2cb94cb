"""The domain's closed vocabularies, each value with its Chinese and English label.

Every vocabulary is a :class:`~enum.StrEnum`: a member *is* its code (``Level.GAOZHI ==
"gaozhi"``), so it goes into JSON, SQL and ``canonical_json`` as plain text. Labels live in
the one catalogue of :mod:`creditbank.labels`, a table per vocabulary (two vocabularies may
share a code, e.g. ``other``), and :func:`_labelled` refuses at import time a vocabulary with
an unlabelled member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.labels import CATALOGUE

Lang = Literal["zh", "en"]


class Vocabulary(StrEnum):
    """A closed vocabulary whose every value has a Chinese and an English label."""

    def label(self, lang: Lang = "zh") -> str:
        """The Chinese (``zh``) or English (``en``) label."""
        zh, en = CATALOGUE[type(self).__name__][str(self)]
        if lang == "zh":
            return zh
        if lang == "en":
            return en
        raise ValueError(f"no labels in {lang!r}; use 'zh' or 'en'")


class RankedVocabulary(Vocabulary):
    """A vocabulary ordered by declaration, lowest first: ``<`` compares rank, not spelling.

    Comparing with a plain string or another vocabulary raises TypeError: as a str subclass
    a member would otherwise fall back to alphabetical order and give a wrong answer quietly.
    """

    @property
    def rank(self) -> int:
        """0 for the lowest value, rising by one per step."""
        return type(self)._member_names_.index(self.name)

    def _rank_of(self, other: object) -> int:
        if type(other) is not type(self) or not isinstance(other, RankedVocabulary):
            raise TypeError(f"cannot order {type(self).__name__} against {type(other).__name__}")
        return other.rank

    def __lt__(self, other: str, /) -> bool:
        return self.rank < self._rank_of(other)

    def __le__(self, other: str, /) -> bool:
        return self.rank <= self._rank_of(other)

    def __gt__(self, other: str, /) -> bool:
        return self.rank > self._rank_of(other)

    def __ge__(self, other: str, /) -> bool:
        return self.rank >= self._rank_of(other)


class Level(Vocabulary):
    """Education levels along the 中职–高职–本科 pathways (普通高中 for 职普融通)."""

    ZHONGZHI = "zhongzhi"
    PUTONG_GAOZHONG = "putong_gaozhong"
    GAOZHI = "gaozhi"
    BENKE = "benke"


class InstitutionKind(Vocabulary):
    """The kinds of member institution."""

    ZHONGZHI_SCHOOL = "zhongzhi_school"
    PUTONG_GAOZHONG_SCHOOL = "putong_gaozhong_school"  # 普通高中, for 职普融通
    GAOZHI_COLLEGE = "gaozhi_college"
    UNIVERSITY = "university"
    ENTERPRISE = "enterprise"
    TRAINING_ORGANISATION = "training_organisation"
    EVALUATION_ORGANISATION = "evaluation_organisation"  # 1+X 培训评价组织


class OutcomeKind(Vocabulary):
    """The four kinds of learning outcome a record holds."""

    COURSE = "course"
    CERTIFICATE = "certificate"
    TRAINING = "training"
    AWARD = "award"


class Attempt(Vocabulary):
    """Which sitting a course grade comes from: the regular exam, or a make-up exam (补考).

    A 补考 is recorded under the course's original term; its ``completed_on`` is the day
    of the 补考. How a 补考 pass counts is policy (a fixed grade, a recorded word, or not at
    all).
    """

    REGULAR = "regular"
    MAKEUP = "makeup"


class CertificateType(Vocabulary):
    """What kind of certificate."""

    ONE_PLUS_X = "one_plus_x"
    VOCATIONAL_QUALIFICATION = "vocational_qualification"
    OTHER = "other"


class CertificateLevel(RankedVocabulary):
    """1+X levels, 初级 < 中级 < 高级; a higher level covers the lower ones."""

    CHUJI = "chuji"
    ZHONGJI = "zhongji"
    GAOJI = "gaoji"

    def covers(self, other: CertificateLevel) -> bool:
        """True when this level is ``other`` or above it."""
        return self >= other


class CompetitionLevel(RankedVocabulary):
    """Levels of skills competitions (技能大赛), 校级 < 市级 < 省级 < 国家级."""

    SCHOOL = "school"
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    NATIONAL = "national"


class AwardRank(Vocabulary):
    """Prizes as competitions name them: graded prizes (一等奖 …) or medals (金牌 …)."""

    FIRST_PRIZE = "first_prize"
    SECOND_PRIZE = "second_prize"
    THIRD_PRIZE = "third_prize"
    HONOURABLE_MENTION = "honourable_mention"
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"


class Region(Vocabulary):
    """Where an institution is, for regional policies (成渝地区双城经济圈 first)."""

    CHONGQING = "chongqing"
    SICHUAN = "sichuan"
    OTHER = "other"


def _labelled(vocabulary: type[Vocabulary]) -> None:
    """Refuse, at import time, a vocabulary the catalogue does not label member by member."""
    labelled = set(CATALOGUE.get(vocabulary.__name__, {}))
    if labelled != {str(member) for member in vocabulary}:
        raise AssertionError(f"{vocabulary.__name__}: labels must name exactly its members")


for _vocabulary in (
    Attempt,
    Level,
    InstitutionKind,
    OutcomeKind,
    CertificateType,
    CertificateLevel,
    CompetitionLevel,
    AwardRank,
    Region,
):
    _labelled(_vocabulary)

# The vocabularies whose values appear in outcome payloads. Their codes are all distinct,
# so one flat table keyed by code can label any value found in a payload.
OUTCOME_VOCABULARIES: tuple[type[Vocabulary], ...] = (
    Level,
    OutcomeKind,
    CertificateType,
    CertificateLevel,
    CompetitionLevel,
    AwardRank,
)
LABELS: dict[str, tuple[str, str]] = {
    str(member): CATALOGUE[vocabulary.__name__][str(member)]
    for vocabulary in OUTCOME_VOCABULARIES
    for member in vocabulary
}


def label(value: Vocabulary, lang: Lang = "zh") -> str:
    """The Chinese (``zh``) or English (``en``) label of a vocabulary value."""
    return value.label(lang)


# The institution code members register with (as the members API checks it): 2–32 of
# A–Z, 0–9 and '-', starting alphanumeric; an 18-character 统一社会信用代码 fits.
INSTITUTION_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")

# Years outside this window are typing mistakes, not history: the credit bank's records
# start long after 1950, and 2100 leaves room for any plausible future term.
FIRST_TERM_YEAR = 1950
LAST_TERM_YEAR = 2100
_TERM = re.compile(r"([0-9]{4})-([0-9]{4})-([0-9])")


@dataclass(frozen=True, order=True, slots=True)
class Term:
    """An academic term written ``2024-2025-1``: the year it starts, and semester 1 or 2.

    Only semesters 1 (autumn) and 2 (spring) exist. Summer sessions (小学期) are numbered
    differently from school to school (3, 0, or a part of semester 2), so a ``-3`` would
    not mean one thing; a summer course is recorded under the semester its school files it in.
    """

    start_year: int
    semester: int

    def __post_init__(self) -> None:
        reason = _term_problem(self.start_year, self.semester)
        if reason is not None:
            raise InvalidInput(f"term: {reason}", problems=[FieldProblem("term", reason)])

    @property
    def end_year(self) -> int:
        """The calendar year the academic year ends in (always ``start_year + 1``)."""
        return self.start_year + 1

    @classmethod
    def parse(cls, text: str, field: str = "term") -> Term:
        """Parse ``YYYY-YYYY-S``: consecutive years, semester 1 or 2."""
        return parse_term(text, field)

    def __str__(self) -> str:
        return f"{self.start_year}-{self.end_year}-{self.semester}"


def _term_problem(start_year: int, semester: int) -> str | None:
    if semester not in (1, 2):
        return "the semester must be 1 or 2 (summer terms are filed under 1 or 2)"
    if not FIRST_TERM_YEAR <= start_year <= LAST_TERM_YEAR:
        return f"the academic year is out of range ({FIRST_TERM_YEAR}–{LAST_TERM_YEAR})"
    return None


def parse_term(text: str, field: str = "term") -> Term:
    """Parse ``YYYY-YYYY-S`` with consecutive years and semester 1 or 2."""
    # fullmatch with ASCII digits only: "２０２４" (full-width) and a trailing "\n" are refused.
    match = _TERM.fullmatch(text) if text.isascii() else None
    if match is None or match.group(3) not in ("1", "2"):
        reason = "must look like 2024-2025-1 (academic year, then semester 1 or 2)"
    elif int(match.group(2)) != int(match.group(1)) + 1:
        reason = "the two years of an academic year must be consecutive"
    else:
        start, semester = int(match.group(1)), int(match.group(3))
        problem = _term_problem(start, semester)
        if problem is None:
            return Term(start, semester)
        reason = problem
    raise InvalidInput(f"{field}: {reason}", problems=[FieldProblem(field, reason)])
