"""The one canonical encoder: RFC 8785 (JCS) JSON for everything hashed or signed.

``rfc8785`` is the reference implementation we trust. For the values the ledger hashes most
(ASCII keys, strings, safe integers, booleans, null, non-integral floats of moderate size such
as the credits 3.5 that transcripts sign) plain sorted-key JSON without whitespace is already
the RFC 8785 form, so those take a fast path through ``orjson`` (compiled, writes UTF-8
directly, refuses integers beyond 2**53 with ``OPT_STRICT_INTEGER``), about fifteen times
faster than the standard library's encoder. Anything else (other floats, non-ASCII keys, huge
integers, other types) goes to ``rfc8785``. ``tests/test_canonical.py`` checks that both paths
agree on generated values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import rfc8785

# RFC 8785 serialises numbers as IEEE 754 doubles; beyond 2**53 an int would lose precision.
_MAX_SAFE_INT = 2**53 - 1
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
# orjson and ECMAScript's Number serialisation both give the shortest digits that round-trip;
# they differ in when they switch to exponents (orjson below 1e-5 and from 1e16, ECMAScript
# below 1e-6 and from 1e21) and in "4.0" against "4". Between these bounds a non-integral
# float is written the same by both.
_FLOAT_LOW = 1e-4
_FLOAT_HIGH = 1e16


def _fast_path(value: Any, seen_keys: set[Any]) -> bool:
    """Whether orjson's sorted-key compact JSON is the RFC 8785 form of ``value``.

    Only containers go on the stack; their scalar members are checked where they are met,
    most common first. A dict's keys are checked once per distinct key (``seen_keys`` holds
    those that passed): a key that is not an exact ``str`` but equals one already seen (a
    ``str`` subclass) passes here, and orjson refuses it, which sends the value to ``rfc8785``.
    """
    stack: list[Any] = [(value,)]
    pop = stack.pop
    push = stack.append
    text, integer, number = str, int, float
    while stack:
        item = pop()
        if type(item) is dict:
            keys = item.keys()
            if not keys <= seen_keys:
                for key in keys:
                    # Python sorts by code point, JCS by UTF-16 unit; they agree on ASCII keys.
                    if type(key) is not text or not key.isascii():
                        return False
                seen_keys.update(keys)
            item = item.values()
        for member in item:
            kind = type(member)
            if kind is text:
                continue
            if kind is dict or kind is list or kind is tuple:
                push(member)
                continue
            if kind is integer:
                if -_MAX_SAFE_INT <= member <= _MAX_SAFE_INT:
                    continue
                return False
            if member is None or kind is bool:
                continue
            if kind is number:
                if _FLOAT_LOW <= abs(member) < _FLOAT_HIGH and not member.is_integer():
                    continue
                return False
            # str subclasses (StrEnum values) encode as their text, like str itself.
            if isinstance(member, text):
                continue
            return False
    return True


def _encode(value: Any, seen_keys: set[Any]) -> bytes:
    if _fast_path(value, seen_keys):
        try:
            return orjson.dumps(value, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate, a str subclass key or nesting too deep: let rfc8785 decide
    return rfc8785.dumps(value)


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON bytes (UTF-8, sorted keys, no spaces)."""
    return _encode(value, set())


def canonical_json_each(values: Iterable[Any]) -> list[bytes]:
    """``canonical_json`` of each value, checking each distinct key once across them all."""
    seen_keys: set[Any] = set()
    return [_encode(value, seen_keys) for value in values]
