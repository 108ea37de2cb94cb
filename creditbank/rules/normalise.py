"""Course titles compared as registrars read them.

Spacing, punctuation, full-width forms and numbering (Ⅰ/Ⅱ/一/1) do not make two courses
different.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Roman numerals (and Chinese numbering used in course titles) folded to digits.
_NUMERALS = {
    "Ⅰ": "1",
    "Ⅱ": "2",
    "Ⅲ": "3",
    "Ⅳ": "4",
    "Ⅴ": "5",
    "Ⅵ": "6",
    "ⅰ": "1",
    "ⅱ": "2",
    "ⅲ": "3",
    "ⅳ": "4",
    "ⅴ": "5",
    "ⅵ": "6",
}
_TRAILING_CHINESE = {"一": "1", "二": "2", "三": "3", "四": "4", "上": "1", "下": "2"}
_ROMAN_SUFFIX = re.compile(r"(?<=[\u4e00-\u9fff])(IV|V|I{1,3})$")
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)  # titles repeat across learners and rules
def normalise_title(title: str) -> str:
    """A key equal for titles that differ only in spacing, punctuation, width or numbering."""
    text = "".join(_NUMERALS.get(ch, ch) for ch in title)
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"[（(]\s*([一二三四上下]|\d+)\s*[)）]$", r"\1", text)
    roman = _ROMAN_SUFFIX.search(text.upper()) if text.isascii() is False else None
    if roman:
        value = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5"}[roman.group(1)]
        text = text[: roman.start()] + value
    if text and text[-1] in _TRAILING_CHINESE and len(text) > 2:
        text = text[:-1] + _TRAILING_CHINESE[text[-1]]
    return _DROP.sub("", text).lower()
