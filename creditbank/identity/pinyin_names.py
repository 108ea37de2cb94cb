"""A Chinese personal name in Hanyu Pinyin, as GB/T 28039-2011 writes names in Latin letters.

The surname and the given name are written apart, each with a capital (王小明 → Wang
Xiaoming), ü keeps its dots (吕 → Lü), and a syllable inside a given name that starts with a,
o or e is marked off with an apostrophe (刘西安 → Liu Xi'an). pypinyin gives each character's
usual reading; surnames are read as surnames: two-character surnames are kept together, and
the characters whose surname reading differs from their usual one (单 Shan, 曾 Zeng, 解 Xie …)
are read as surnames.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

# Two-character surnames (复姓), read as one surname.
COMPOUND_SURNAMES = {
    "欧阳": "ouyang", "司马": "sima", "上官": "shangguan", "诸葛": "zhuge", "东方": "dongfang",
    "皇甫": "huangfu", "尉迟": "yuchi", "公孙": "gongsun", "慕容": "murong", "长孙": "zhangsun",
    "宇文": "yuwen", "司徒": "situ", "司空": "sikong", "夏侯": "xiahou", "令狐": "linghu",
    "端木": "duanmu", "轩辕": "xuanyuan", "万俟": "moqi", "单于": "chanyu", "南宫": "nangong",
    "钟离": "zhongli", "澹台": "tantai", "申屠": "shentu", "淳于": "chunyu", "拓跋": "tuoba",
}  # fmt: skip
# Surnames whose reading as a surname is not the character's usual one.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "查": "zha", "仇": "qiu", "区": "ou", "朴": "piao",
    "乐": "yue", "盖": "ge", "翟": "zhai", "覃": "qin", "缪": "miao", "种": "chong", "秘": "bi",
    "华": "hua", "过": "guo", "纪": "ji", "繁": "po", "重": "chong", "召": "shao", "员": "yun",
    "葛": "ge", "折": "she", "藏": "zang", "都": "du", "宿": "su", "黑": "he", "率": "shuai",
}  # fmt: skip
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_VOWEL_START = ("a", "o", "e")


def _join(syllables: list[str]) -> str:
    """Syllables of one name part written together, with the apostrophe where needed."""
    word = ""
    for n, syllable in enumerate(syllables):
        word += ("'" if n and syllable.startswith(_VOWEL_START) else "") + syllable
    return word[:1].upper() + word[1:]


def romanised_name(name: str) -> str | None:
    """``name`` in Pinyin (surname first), or None when it holds no Chinese characters.

    A name with a middle dot (a transcribed foreign name, 阿依古丽·买买提) is romanised part by
    part; anything not Chinese is kept as it is.
    """
    name = name.strip()
    if not _HAN.search(name):
        return None
    if "·" in name:
        parts = [_join(lazy_pinyin(p, style=Style.NORMAL, v_to_u=True)) for p in name.split("·")]
        return " ".join(p for p in parts if p)
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s)), name[:1])
    given = name[len(surname) :]
    if surname in COMPOUND_SURNAMES:
        family = COMPOUND_SURNAMES[surname]
    else:
        family = SURNAME_READINGS.get(surname) or "".join(
            lazy_pinyin(surname, style=Style.NORMAL, v_to_u=True)
        )
    family = family[:1].upper() + family[1:]
    if not given:
        return family
    return f"{family} {_join(lazy_pinyin(given, style=Style.NORMAL, v_to_u=True))}"
