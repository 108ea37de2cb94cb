"""The text policy for names and free text, and the ASCII numeral parser."""

from __future__ import annotations

import unicodedata

import pytest

from creditbank.numerals import natural, whole
from creditbank.text import INSTITUTION_NAME, PERSON_NAME, REASON, TextRefused, line_policy


def test_text_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "José Müller")
    assert decomposed != "José Müller"
    assert PERSON_NAME.clean(decomposed) == "José Müller"
    assert PERSON_NAME.clean(" 李明 ") == " 李明 "  # the writer's spacing is kept
    assert REASON.clean("学生申请撤销 (duplicate)") == "学生申请撤销 (duplicate)"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("李\x00明", "control characters"),
        ("李\n明", "line breaks"),
        ("李\u2028明", "line breaks"),
        ("\x85", "control characters"),
        ("", "empty or blank"),
        (" \u3000", "empty or blank"),
        ("\u200b", "zero-width"),
        ("Li\u200dMing", "zero-width"),
        ("\ufeffLi", "zero-width"),
        ("abc\u202eevil", "bidirectional"),
        ("abc\u2067x\u2069", "bidirectional"),
        ("\ud800", "unpaired surrogates"),
        ("李" * 101, "at most 100 characters"),
        (42, "must be text"),
    ],
)
def test_names_refuse_what_would_mislead_or_break(value: object, words: str) -> None:
    with pytest.raises(TextRefused, match=words):
        PERSON_NAME.clean(value)
    assert PERSON_NAME.problem(value) is not None


def test_zero_width_is_refused_in_names_only() -> None:
    assert line_policy(200).clean("a\u200db") == "a\u200db"  # e.g. an emoji sequence in a title
    assert INSTITUTION_NAME.problem("重庆\u200b学院") == "must not contain zero-width characters"
    assert REASON.problem("\u200b") == "must not be empty or blank"  # nothing visible


def test_length_is_counted_after_normalising() -> None:
    decomposed = unicodedata.normalize("NFD", "é" * 100)
    assert len(decomposed) == 200
    assert PERSON_NAME.clean(decomposed) == "é" * 100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", 0), ("7", 7), ("9223372036854775807", 2**63 - 1), ("9223372036854775808", None)],
)
def test_natural_numbers_in_ascii_digits(raw: str, expected: int | None) -> None:
    assert natural(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "²", "٣", "１", "+1", "-1", " 1", "1 ", "1_0", "01", "1.0", "9" * 5000, None, 5]
)
def test_anything_else_is_not_a_natural_number(raw: object) -> None:
    assert natural(raw) is None


def test_ranges_are_checked() -> None:
    assert natural("131071", high=131_071) == 131_071
    assert natural("131072", high=131_071) is None
    assert whole("-5", low=-10, high=10) == -5
    assert whole("-11", low=-10, high=10) is None
    assert whole("-" + "9" * 5000, low=-10, high=10) is None
