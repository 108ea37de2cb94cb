"""Whole numbers written by someone else: ASCII digits only, bounded in length and value.

``int()`` accepts far more than a decimal numeral: other scripts' digits (``"٣"``), signs,
white space and underscores, and it raises (rather than refuses) on ``"²"`` or on more than
4,300 digits. Route and query parameters, CSV cells and the numbers inside a credential are
all read here instead, so each is either a number within its range or refused.
"""

from __future__ import annotations

import re

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_NATURAL = re.compile(r"0|[1-9][0-9]*")  # [0-9] is ASCII; \d would take every script's digits
_WHOLE = re.compile(r"-?(?:0|[1-9][0-9]*)")


def natural(raw: object, *, high: int = INT64_MAX) -> int | None:
    """``raw`` as a number in ``0..high`` if it is one written in ASCII digits, else None.

    Leading zeros, signs and white space are refused: a numeral has one spelling. The length
    is checked before converting, so thousands of digits cost nothing.
    """
    if not isinstance(raw, str) or len(raw) > len(str(high)) or not _NATURAL.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= high else None


def whole(raw: object, *, low: int = INT64_MIN, high: int = INT64_MAX) -> int | None:
    """``raw`` as a number in ``low..high`` (an optional leading ``-``), else None."""
    longest = max(len(str(low)), len(str(high)))
    if not isinstance(raw, str) or len(raw) > longest or not _WHOLE.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None
