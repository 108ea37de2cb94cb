"""The domain's closed vocabularies, each value with its Chinese and English label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from creditbank.errors import FieldProblem, InvalidInput


class Level(StrEnum):
    """Education levels along the 中职–高职–本科 pathways."""

    ZHONGZHI = "zhongzhi"
    PUTONG_GAOZHONG = "putong_gaozhong"
    GAOZHI = "gaozhi"
    BENKE = "benke"


class OutcomeKind(StrEnum):
    """The four kinds of learning outcome a record holds."""

    COURSE = "course"
    CERTIFICATE = "certificate"
    TRAINING = "training"
    AWARD = "award"


class CertificateType(StrEnum):
    """What kind of certificate."""

    ONE_PLUS_X = "one_plus_x"  # 1+X 职业技能等级证书
    VOCATIONAL_QUALIFICATION = "vocational_qualification"  # 职业资格证书
    OTHER = "other"


class CertificateLevel(StrEnum):
    """1+X levels; a higher level covers the lower ones."""

    CHUJI = "chuji"
    ZHONGJI = "zhongji"
    GAOJI = "gaoji"

    @property
    def rank(self) -> int:
        """0 for 初级, 1 for 中级, 2 for 高级."""
        return list(CertificateLevel).index(self)

    def covers(self, other: CertificateLevel) -> bool:
        """True when this level is ``other`` or above it."""
        return self.rank >= other.rank


class CompetitionLevel(StrEnum):
    """Levels of skills competitions (技能大赛)."""

    SCHOOL = "school"
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    NATIONAL = "national"

    @property
    def rank(self) -> int:
        """0 for 校级 up to 3 for 国家级."""
        return list(CompetitionLevel).index(self)


class AwardRank(StrEnum):
    """Prizes as competitions name them."""

    FIRST_PRIZE = "first_prize"  # 一等奖
    SECOND_PRIZE = "second_prize"  # 二等奖
    THIRD_PRIZE = "third_prize"  # 三等奖
    HONOURABLE_MENTION = "honourable_mention"  # 优秀奖
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"


LABELS: dict[str, tuple[str, str]] = {
    Level.ZHONGZHI: ("中职", "secondary vocational"),
    Level.PUTONG_GAOZHONG: ("普通高中", "general high school"),
    Level.GAOZHI: ("高职/专科", "higher vocational"),
    Level.BENKE: ("本科", "bachelor"),
    OutcomeKind.COURSE: ("课程", "course"),
    OutcomeKind.CERTIFICATE: ("证书", "certificate"),
    OutcomeKind.TRAINING: ("培训", "training"),
    OutcomeKind.AWARD: ("竞赛获奖", "competition award"),
    CertificateType.ONE_PLUS_X: ("1+X 职业技能等级证书", "1+X vocational skill-level certificate"),
    CertificateType.VOCATIONAL_QUALIFICATION: ("职业资格证书", "vocational qualification"),
    CertificateType.OTHER: ("其他证书", "other certificate"),
    CertificateLevel.CHUJI: ("初级", "elementary"),
    CertificateLevel.ZHONGJI: ("中级", "intermediate"),
    CertificateLevel.GAOJI: ("高级", "advanced"),
    CompetitionLevel.SCHOOL: ("校级", "school"),
    CompetitionLevel.MUNICIPAL: ("市级", "municipal"),
    CompetitionLevel.PROVINCIAL: ("省级", "provincial"),
    CompetitionLevel.NATIONAL: ("国家级", "national"),
    AwardRank.FIRST_PRIZE: ("一等奖", "first prize"),
    AwardRank.SECOND_PRIZE: ("二等奖", "second prize"),
    AwardRank.THIRD_PRIZE: ("三等奖", "third prize"),
    AwardRank.HONOURABLE_MENTION: ("优秀奖", "honourable mention"),
    AwardRank.GOLD: ("金牌", "gold medal"),
    AwardRank.SILVER: ("银牌", "silver medal"),
    AwardRank.BRONZE: ("铜牌", "bronze medal"),
}


def label(value: StrEnum, lang: str = "zh") -> str:
    """The Chinese (``zh``) or English (``en``) label of a vocabulary value."""
    zh, en = LABELS[value]
    return zh if lang == "zh" else en


_TERM = re.compile(r"^([0-9]{4})-([0-9]{4})-([12])$")


@dataclass(frozen=True, order=True)
class Term:
    """An academic term written ``2024-2025-1``: the year it starts and ends, semester 1 or 2."""

    start_year: int
    semester: int

    @property
    def end_year(self) -> int:
        """The calendar year the academic year ends in."""
        return self.start_year + 1

    def __str__(self) -> str:
        return f"{self.start_year}-{self.end_year}-{self.semester}"


def parse_term(text: str, field: str = "term") -> Term:
    """Parse ``YYYY-YYYY-S`` with consecutive years and semester 1 or 2."""
    match = _TERM.fullmatch(text)
    reason = None
    if match is None:
        reason = "must look like 2024-2025-1 (academic year, then semester 1 or 2)"
    elif int(match.group(2)) != int(match.group(1)) + 1:
        reason = "the two years of an academic year must be consecutive"
    elif not 1950 <= int(match.group(1)) <= 2100:
        reason = "the academic year is out of range"
    if reason is not None or match is None:
        raise InvalidInput(f"{field}: {reason}", problems=[FieldProblem(field, str(reason))])
    return Term(int(match.group(1)), int(match.group(3)))
