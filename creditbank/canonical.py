"""The one canonical encoder: RFC 8785 (JCS) JSON for everything hashed or signed.

``rfc8785`` is the reference implementation we trust. For the values the ledger hashes most
(ASCII keys, strings, safe integers, booleans, null, non-integral floats of moderate size such
as the credits 3.5 that transcripts sign) plain sorted-key JSON without whitespace is already
the RFC 8785 form, so those take a fast path through ``orjson`` (compiled, writes UTF-8
directly, refuses integers beyond 2**53 with ``OPT_STRICT_INTEGER``), about fifteen times
faster than the standard library's encoder. Anything else (other floats, non-ASCII keys, huge
integers, other types) goes to ``rfc8785``. ``tests/test_canonical.py`` checks that both paths
agree on generated values.

Two hot paths write canonical forms without encoding a whole value, with the helpers below: the
ledger fills a :class:`PlainObject` template per entry, and transcript verification composes a
document's form from separately encoded members, as chunks hashed one by one
(:func:`compose_object`), never copied into one buffer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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


# --- writing canonical forms from pieces ---------------------------------------------------

# Printable ASCII that JSON writes verbatim (no quote, no backslash).
_PLAIN = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*\Z")


def is_plain(text: str) -> bool:
    """Whether ``text`` is printable ASCII that JSON writes verbatim (no quote, no backslash)."""
    return _PLAIN.match(text) is not None


class PlainObject:
    """The canonical form of objects with fixed keys, as a template filled per object.

    ``fields`` maps each key to ``str`` (a string member), ``int`` (an integer member) or a
    constant value, written once here by the encoder. The members come out in RFC 8785 order;
    :meth:`fill` takes the variable members in that order (:attr:`order`) as text: a string
    for which :func:`is_plain` holds, or an integer within ``±(2**53 - 1)`` in decimal. The
    caller checks that, as the ledger's sequencer does once per batch; filling in costs a
    fraction of encoding a dict.
    """

    def __init__(self, fields: Mapping[str, type[str] | type[int] | Any]) -> None:
        if not all(isinstance(key, str) and is_plain(key) for key in fields):
            raise ValueError("a plain object's keys are printable ASCII")
        literals: list[str] = []
        order = []
        pending = "{"
        # Printable ASCII keys: Python's order is RFC 8785's (UTF-16 code units).
        for position, key in enumerate(sorted(fields)):
            kind = fields[key]
            pending += ("," if position else "") + canonical_json(key).decode("ascii") + ":"
            if kind is str or kind is int:
                quote = '"' if kind is str else ""
                literals.append(pending + quote)
                pending = quote
                order.append(key)
            else:
                pending += canonical_json(kind).decode("utf-8")
        literals.append(pending + "}")
        # The literals with a slot between each two, filled by ``fill``.
        self._parts = [text for literal in literals for text in (literal, "")][:-1]
        self.order = tuple(order)

    def fill(self, *texts: str) -> bytes:
        """The canonical bytes of the object with the members' ``texts`` (in :attr:`order`)."""
        parts = self._parts.copy()
        parts[1::2] = texts
        return "".join(parts).encode("utf-8")


# Canonical forms composed from pieces are chunks (bytes, or views into them), hashed chunk by
# chunk: a large document's form is never copied into one buffer.
Chunk = bytes | memoryview


def ascii_keys(value: Mapping[Any, Any]) -> bool:
    """Whether every key is an ASCII ``str``: Python then sorts the keys as RFC 8785 does."""
    return all(isinstance(k, str) and k.isascii() for k in value)


def split_members(value: Mapping[str, Any], key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The members of ``value`` whose keys sort before ``key``, and those after it."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, item in value.items():
        if name < key:
            before[name] = item
        elif name > key:
            after[name] = item
    return before, after


def members_of(encoded: bytes) -> memoryview:
    """The run of members of an encoded object: its encoding without the braces."""
    return memoryview(encoded)[1:-1]


def member(key: str, value: Sequence[Chunk]) -> list[Chunk]:
    """The run of one member, ``key`` with the encoded ``value``."""
    return [canonical_json(key) + b":", *value]


def compose_object(runs: Sequence[Sequence[Chunk]]) -> list[Chunk]:
    """The encoding of an object from runs of its members, given in key order.

    Empty runs are left out. With ASCII keys the members of the keys before a key, its own
    and those after, joined in that order, encode the whole object.
    """
    chunks: list[Chunk] = [b"{"]
    first = True
    for run in runs:
        if any(run):
            if not first:
                chunks.append(b",")
            chunks += run
            first = False
    chunks.append(b"}")
    return chunks


def compose_array(items: Sequence[Sequence[Chunk]]) -> list[Chunk]:
    """The encoding of an array from its items' encodings."""
    chunks: list[Chunk] = [b"["]
    for position, item in enumerate(items):
        if position:
            chunks.append(b",")
        chunks += item
    chunks.append(b"]")
    return chunks
