"""The one canonical encoder: RFC 8785 (JCS) JSON for everything hashed or signed.

``rfc8785`` is the reference implementation we trust. For the values the ledger hashes most
(ASCII keys, strings, safe integers, booleans, null) plain sorted-key JSON without whitespace
is already the RFC 8785 form, so those take a fast path through ``orjson`` (compiled, writes
UTF-8 directly, refuses integers beyond 2**53 with ``OPT_STRICT_INTEGER``), about fifteen
times faster than the standard library's encoder. Values that also hold non-integral floats of
moderate size (credits such as 3.5, which transcripts sign) go through the standard library's
``json``, whose float text agrees with ECMAScript's there; anything else (other floats,
non-ASCII keys, huge integers, other types) goes to ``rfc8785``. ``tests/test_canonical.py``
checks that all paths agree on generated values.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

# RFC 8785 serialises numbers as IEEE 754 doubles; beyond 2**53 an int would lose precision.
_MAX_SAFE_INT = 2**53 - 1
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
# Python's float repr and ECMAScript's Number serialisation both give the shortest digits that
# round-trip; they differ only in when they switch to exponents (Python below 1e-4 and from
# 1e16, ECMAScript below 1e-6 and from 1e21) and in "4.0" against "4". Between those bounds a
# non-integral float is written the same by both.
_FLOAT_LOW = 1e-4
_FLOAT_HIGH = 1e16
_NO_FAST_PATH, _ORJSON, _STDLIB_JSON = 0, 1, 2


def _fast_path(value: Any) -> int:
    """Which sorted-key compact JSON encoder gives the RFC 8785 form of ``value``, if any."""
    path = _ORJSON
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
            return _NO_FAST_PATH
        if kind is float:
            if _FLOAT_LOW <= abs(item) < _FLOAT_HIGH and not item.is_integer():
                path = _STDLIB_JSON
                continue
            return _NO_FAST_PATH
        if kind is dict:
            for key in item:
                # Python sorts by code point, JCS by UTF-16 unit; they agree on ASCII keys.
                if type(key) is not str or not key.isascii():
                    return _NO_FAST_PATH
            stack.extend(item.values())
            continue
        if kind is list or kind is tuple:
            stack.extend(item)
            continue
        return _NO_FAST_PATH
    return path


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON bytes (UTF-8, sorted keys, no spaces)."""
    path = _fast_path(value)
    try:
        if path == _ORJSON:
            return orjson.dumps(value, option=_OPTIONS)
        if path == _STDLIB_JSON:
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
    except (orjson.JSONEncodeError, UnicodeEncodeError, RecursionError):
        pass  # a lone surrogate or nesting too deep: let rfc8785 decide
    return rfc8785.dumps(value)
