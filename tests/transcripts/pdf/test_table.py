"""Wrapping cell text: between Chinese characters, at spaces, never before closing punctuation."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from creditbank.transcripts.pdf.table import wrap


def width(text: str) -> float:
    """Every character one unit wide, so widths are character counts."""
    return float(len(text))


def test_text_that_fits_stays_on_one_line() -> None:
    assert wrap("机械制图", 10, width) == ["机械制图"]


def test_chinese_breaks_between_characters() -> None:
    assert wrap("工业机器人操作与运维", 4, width) == ["工业机器", "人操作与", "运维"]


def test_english_breaks_at_spaces() -> None:
    assert wrap("Mechanical Drawing II", 12, width) == ["Mechanical", "Drawing II"]


def test_closing_punctuation_never_starts_a_line() -> None:
    assert wrap("重庆工程，学院", 4, width) == ["重庆工程，", "学院"]
    assert wrap("高等数学（上）", 6, width) == ["高等数学（上）"]


def test_a_word_longer_than_the_column_is_split() -> None:
    assert wrap("abcdefghijkl", 5, width) == ["abcde", "fghij", "kl"]
    # …still keeping a colon off the start of a line.
    assert wrap("urn:uuid:3f1c2a9e", 8, width) == ["urn:uuid:", "3f1c2a9e"]


def test_explicit_line_breaks_are_kept_and_empty_text_is_one_line() -> None:
    assert wrap("课程\nCourse", 20, width) == ["课程", "Course"]
    assert wrap("", 5, width) == [""]


@given(
    st.text(alphabet=st.sampled_from("工业机器人 abc Robot，。() 12-"), max_size=60),
    st.integers(min_value=2, max_value=15),
)
@example("1111111 ，", 7)  # a space, then punctuation kept at the end of a full line
def test_wrapping_keeps_every_character_and_respects_the_width(text: str, room: int) -> None:
    lines = wrap(text, room, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        # Only closing punctuation kept at a line's end may overhang.
        assert len(line.rstrip("，。) ")) <= room, (text, room, lines)
