"""The closed vocabularies: terms, certificate levels and bilingual labels."""

from __future__ import annotations

from enum import StrEnum

import pytest

from creditbank.errors import InvalidInput
from creditbank.records.vocabulary import (
    LABELS,
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Term,
    label,
    parse_term,
)

VOCABULARIES: list[type[StrEnum]] = [
    Level,
    OutcomeKind,
    CertificateType,
    CertificateLevel,
    CompetitionLevel,
    AwardRank,
]
MEMBERS = [member for vocabulary in VOCABULARIES for member in vocabulary]


@pytest.mark.parametrize(
    ("text", "start", "semester"),
    [
        ("2024-2025-1", 2024, 1),
        ("2024-2025-2", 2024, 2),
        ("1950-1951-1", 1950, 1),
        ("2100-2101-2", 2100, 2),
    ],
)
def test_parse_term(text: str, start: int, semester: int) -> None:
    term = parse_term(text)
    assert term == Term(start, semester)
    assert term.end_year == start + 1
    assert str(term) == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2024-2025-3", "look like"),
        ("2024-2025-0", "look like"),
        ("2024-2025", "look like"),
        ("2024/2025/1", "look like"),
        ("24-25-1", "look like"),
        ("2024-2025-1 ", "look like"),
        (" 2024-2025-1", "look like"),
        ("２０２４-２０２５-１", "look like"),
        ("", "look like"),
        ("2024-2026-1", "consecutive"),
        ("2025-2024-1", "consecutive"),
        ("2024-2024-1", "consecutive"),
        ("1949-1950-1", "out of range"),
        ("2101-2102-1", "out of range"),
        ("0000-0001-1", "out of range"),
    ],
)
def test_parse_term_rejects(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_term(text, "items.0.term")
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].field == "items.0.term"
    assert says in exc.value.problems[0].reason


def test_parse_term_rejects_a_trailing_newline() -> None:
    with pytest.raises(InvalidInput):
        parse_term("2024-2025-1\n")


def test_terms_order_by_year_then_semester() -> None:
    terms = [parse_term(t) for t in ("2024-2025-2", "2023-2024-2", "2024-2025-1", "2023-2024-1")]
    assert [str(t) for t in sorted(terms)] == [
        "2023-2024-1",
        "2023-2024-2",
        "2024-2025-1",
        "2024-2025-2",
    ]


def test_certificate_level_covers() -> None:
    chuji, zhongji, gaoji = CertificateLevel.CHUJI, CertificateLevel.ZHONGJI, CertificateLevel.GAOJI
    assert [level.rank for level in CertificateLevel] == [0, 1, 2]
    assert gaoji.covers(gaoji)
    assert gaoji.covers(zhongji)
    assert gaoji.covers(chuji)
    assert zhongji.covers(chuji)
    assert zhongji.covers(zhongji)
    assert not zhongji.covers(gaoji)
    assert chuji.covers(chuji)
    assert not chuji.covers(zhongji)
    assert not chuji.covers(gaoji)


def test_competition_levels_rise_to_national() -> None:
    ranks = {level: level.rank for level in CompetitionLevel}
    assert ranks[CompetitionLevel.SCHOOL] == 0
    assert ranks[CompetitionLevel.NATIONAL] == 3
    assert ranks[CompetitionLevel.MUNICIPAL] < ranks[CompetitionLevel.PROVINCIAL]


def test_labels_are_exactly_the_vocabulary() -> None:
    # One entry per member: two vocabularies sharing a value would collide in LABELS.
    assert len({m.value for m in MEMBERS}) == len(MEMBERS)
    assert set(LABELS) == {m.value for m in MEMBERS}


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_every_value_has_both_labels(member: StrEnum) -> None:
    zh = label(member, "zh")
    en = label(member, "en")
    assert zh
    assert en
    assert zh != en
    assert any("\u4e00" <= char <= "\u9fff" for char in zh)
    assert en.isascii()
    assert label(member) == zh


def test_some_labels() -> None:
    assert label(Level.GAOZHI) == "高职/专科"
    assert label(CertificateType.ONE_PLUS_X, "en") == "1+X vocational skill-level certificate"
    assert label(CompetitionLevel.NATIONAL) == "国家级"
    assert label(AwardRank.HONOURABLE_MENTION) == "优秀奖"
