"""The one canonical encoder: RFC 8785 (JCS) JSON for everything hashed or signed.

``rfc8785`` is the reference implementation we trust. For the values the ledger hashes most
(ASCII keys, strings, safe integers, booleans, null) the standard library's ``json`` encoder
with sorted keys and no whitespace produces the very same bytes, about three times faster, so
those take a fast path, as do non-integral floats of moderate size; anything else (other
floats, non-ASCII keys, huge integers) goes to ``rfc8785``. ``tests/test_canonical.py``
checks that both paths agree on generated values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

# RFC 8785 serialises numbers as IEEE 754 doubles; beyond 2**53 an int would lose precision.
_MAX_SAFE_INT = 2**53 - 1
# Python's float repr and ECMAScript's Number serialisation both give the shortest digits that
# round-trip; they differ only in when they switch to exponents (Python below 1e-4 and from
# 1e16, ECMAScript below 1e-6 and from 1e21) and in "4.0" against "4". Between those bounds a
# non-integral float is written the same by both.
_FLOAT_LOW = 1e-4
_FLOAT_HIGH = 1e16


def _fast_path_safe(value: Any) -> bool:
    """Whether ``json.dumps(sort_keys=True)`` gives RFC 8785 bytes for ``value``."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        # str subclasses (StrEnum values) encode as their text, like str itself.
        if isinstance(item, str) or item is None or kind is bool:
            continue
        if kind is int:
            if -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                continue
            return False
        if kind is float:
            # Credits (3.5) are the floats the transcripts sign most.
            if _FLOAT_LOW <= abs(item) < _FLOAT_HIGH and not item.is_integer():
                continue
            return False
        if kind is dict:
            for key in item:
                # Python sorts by code point, JCS by UTF-16 unit; they agree on ASCII keys.
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(item.values())
            continue
        if kind is list or kind is tuple:
            stack.extend(item)
            continue
        return False
    return True


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON bytes (UTF-8, sorted keys, no spaces)."""
    if _fast_path_safe(value):
        try:
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 report it
    return rfc8785.dumps(value)
