"""The one canonical encoder: RFC 8785 (JCS) JSON for everything hashed or signed.

``rfc8785`` is the reference implementation we trust. For the values the ledger hashes most
(ASCII keys, strings, safe integers, booleans, null) plain sorted-key JSON without whitespace
is already the RFC 8785 form, so those take a fast path through ``orjson`` (compiled, writes
UTF-8 directly, refuses integers beyond 2**53 with ``OPT_STRICT_INTEGER``), about fifteen
times faster than the standard library's encoder; anything else (floats, non-ASCII keys, huge
integers, other types) goes to ``rfc8785``. ``tests/test_canonical.py`` checks that both paths
agree on generated values.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

# RFC 8785 serialises numbers as IEEE 754 doubles; beyond 2**53 an int would lose precision.
_MAX_SAFE_INT = 2**53 - 1
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def _fast_path_safe(value: Any) -> bool:
    """Whether sorted-key compact JSON of ``value`` is its RFC 8785 form."""
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
            return orjson.dumps(value, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate or nesting too deep: let rfc8785 decide
    return rfc8785.dumps(value)
