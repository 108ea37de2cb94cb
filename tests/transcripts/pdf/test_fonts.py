"""The embedded face: which characters it draws and what stands in for the others."""

from __future__ import annotations

from creditbank.transcripts.pdf import fonts


def test_the_face_covers_chinese_latin_and_the_punctuation_used() -> None:
    drawn = fonts.coverage()
    for char in "学分银行重庆々〇㐀龘ABCabc0123—–·（）〓":
        assert ord(char) in drawn, char


def test_undrawable_characters_become_the_geta_mark_and_controls_spaces() -> None:
    assert ord("𠀀") not in fonts.coverage()
    assert fonts.printable("王𠀀々") == "王〓々"
    assert fonts.printable("a\nb\tc\x00d\u200be") == "a b c d e"
    assert fonts.printable_lines("课程\nCourse\x07") == "课程\nCourse "
