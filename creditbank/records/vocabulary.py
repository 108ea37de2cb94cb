"""The domain's closed vocabularies, each value with its Chinese and English label.

Every vocabulary is a :class:`~enum.StrEnum`: a member *is* its code (``Level.GAOZHI ==
"gaozhi"``), so it goes into JSON, SQL and ``canonical_json`` as plain text. Labels live in
one table per vocabulary (two vocabularies may share a code, e.g. ``other``), and
:func:`_labelled` refuses at import time a vocabulary with an unlabelled member.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from creditbank.errors import FieldProblem, InvalidInput

Lang = Literal["zh", "en"]


class Vocabulary(StrEnum):
    """A closed vocabulary whose every value has a Chinese and an English label."""

    def label(self, lang: Lang = "zh") -> str:
        """The Chinese (``zh``) or English (``en``) label."""
        zh, en = _LABELS[type(self)][self]
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


_LABELS: dict[type[Vocabulary], dict[Vocabulary, tuple[str, str]]] = {}


def _labelled(vocabulary: type[Vocabulary], labels: Mapping[Vocabulary, tuple[str, str]]) -> None:
    """Register the labels of one vocabulary, all of its members and nothing else."""
    if set(labels) != set(vocabulary) or any(type(key) is not vocabulary for key in labels):
        raise AssertionError(f"{vocabulary.__name__}: labels must name exactly its members")
    _LABELS[vocabulary] = dict(labels)


_labelled(
    Attempt,
    {
        Attempt.REGULAR: ("正考", "regular exam"),
        Attempt.MAKEUP: ("补考", "make-up exam"),
    },
)
_labelled(
    Level,
    {
        Level.ZHONGZHI: ("中职", "secondary vocational"),
        Level.PUTONG_GAOZHONG: ("普通高中", "general high school"),
        Level.GAOZHI: ("高职/专科", "higher vocational"),
        Level.BENKE: ("本科", "bachelor"),
    },
)
_labelled(
    InstitutionKind,
    {
        InstitutionKind.ZHONGZHI_SCHOOL: ("中职学校", "secondary vocational school"),
        InstitutionKind.GAOZHI_COLLEGE: ("高职院校", "higher vocational college"),
        InstitutionKind.UNIVERSITY: ("本科院校", "university"),
        InstitutionKind.ENTERPRISE: ("企业", "enterprise"),
        InstitutionKind.TRAINING_ORGANISATION: ("培训机构", "training organisation"),
        InstitutionKind.EVALUATION_ORGANISATION: (
            "1+X 培训评价组织",
            "1+X training and evaluation organisation",
        ),
    },
)
_labelled(
    OutcomeKind,
    {
        OutcomeKind.COURSE: ("课程", "course"),
        OutcomeKind.CERTIFICATE: ("证书", "certificate"),
        OutcomeKind.TRAINING: ("培训", "training"),
        OutcomeKind.AWARD: ("竞赛获奖", "competition award"),
    },
)
_labelled(
    CertificateType,
    {
        CertificateType.ONE_PLUS_X: (
            "1+X 职业技能等级证书",
            "1+X vocational skill-level certificate",
        ),
        CertificateType.VOCATIONAL_QUALIFICATION: ("职业资格证书", "vocational qualification"),
        CertificateType.OTHER: ("其他证书", "other certificate"),
    },
)
_labelled(
    CertificateLevel,
    {
        CertificateLevel.CHUJI: ("初级", "elementary"),
        CertificateLevel.ZHONGJI: ("中级", "intermediate"),
        CertificateLevel.GAOJI: ("高级", "advanced"),
    },
)
_labelled(
    CompetitionLevel,
    {
        CompetitionLevel.SCHOOL: ("校级", "school"),
        CompetitionLevel.MUNICIPAL: ("市级", "municipal"),
        CompetitionLevel.PROVINCIAL: ("省级", "provincial"),
        CompetitionLevel.NATIONAL: ("国家级", "national"),
    },
)
_labelled(
    AwardRank,
    {
        AwardRank.FIRST_PRIZE: ("一等奖", "first prize"),
        AwardRank.SECOND_PRIZE: ("二等奖", "second prize"),
        AwardRank.THIRD_PRIZE: ("三等奖", "third prize"),
        AwardRank.HONOURABLE_MENTION: ("优秀奖", "honourable mention"),
        AwardRank.GOLD: ("金牌", "gold medal"),
        AwardRank.SILVER: ("银牌", "silver medal"),
        AwardRank.BRONZE: ("铜牌", "bronze medal"),
    },
)
_labelled(
    Region,
    {
        Region.CHONGQING: ("重庆", "Chongqing"),
        Region.SICHUAN: ("四川", "Sichuan"),
        Region.OTHER: ("其他地区", "other region"),
    },
)

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
    str(member): _LABELS[vocabulary][member]
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
