"""How sure the bank is of who holds an account, and whether two written names are one name.

An account the learner opened alone is ``self_asserted``: anyone can type a valid 居民身份证
number, so it holds nothing an institution posts and never takes an institution's place. An
account an institution opened (having seen the person and the document) is
``institution_verified`` and records which institution bound it and when.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

SELF = "self"
"""``opened_by`` of an account the learner opened alone."""

SET_ASIDE_PREFIX = "set-aside:"
"""``lookup`` of a set-aside claim: no document hashes to it, so the document is free again."""

# Middle dots people type between the parts of a transliterated name (阿卜杜拉·买买提).
_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "．": "·", ".": "·", "∙": "·"})


class Assurance(StrEnum):
    """How the identity behind an account was established."""

    SELF_ASSERTED = "self_asserted"
    INSTITUTION_VERIFIED = "institution_verified"


def comparable_name(name: str) -> str:
    """A name with the differences of typing removed: width, case, spaces and dot variants."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_DOTS)
    return "".join(folded.split())


def same_name(first: str, second: str) -> bool:
    """True when two written names are the same name (``Li Ming`` = ``LI  MING``, not 李明)."""
    return comparable_name(first) == comparable_name(second)
