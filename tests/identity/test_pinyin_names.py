"""Chinese names in Pinyin as GB/T 28039-2011 writes them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.identity.pinyin_names import romanised_name


@pytest.mark.parametrize(
    ("name", "latin"),
    [
        ("李明", "Li Ming"),
        ("王小明", "Wang Xiaoming"),  # a given name of two syllables is one word
        ("欧阳娜娜", "Ouyang Nana"),  # a two-character surname
        ("吕思", "Lü Si"),  # ü keeps its dots
        ("单雄信", "Shan Xiongxin"),  # 单 read as a surname, not dan
        ("曾国藩", "Zeng Guofan"),  # 曾 read as a surname, not ceng
        ("刘西安", "Liu Xi'an"),  # the apostrophe keeps xi'an from reading as xian
        ("阿依古丽·买买提", "Ayiguli Maimaiti"),  # a transcribed name, part by part
        ("李", "Li"),
    ],
)
def test_names(name: str, latin: str) -> None:
    assert romanised_name(name) == latin


def test_a_name_without_chinese_characters_has_none() -> None:
    assert romanised_name("John Smith") is None


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1))
def test_any_chinese_name_comes_out_as_capitalised_latin_words(name: str) -> None:
    latin = romanised_name(name)
    assert latin is not None
    words = latin.split(" ")
    assert 1 <= len(words) <= 2  # the surname, then the given name written together
    assert all(word[:1].isupper() for word in words)
    assert latin.replace("ü", "u").replace("'", "").replace(" ", "").isalpha()
    assert latin.replace("ü", "u").isascii()
