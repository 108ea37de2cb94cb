r"""The one reader of JSON that someone else wrote: request bodies, uploaded and fetched files.

Python's ``json`` accepts documents that mean different things to different readers, or that
cost far more than their size. This reader refuses, with :class:`~creditbank.errors.InvalidJson`
naming the problem and where it is (a JSONPath such as ``$.credentialSubject``):

- more than :data:`MAX_DEPTH` levels of nesting (deep nesting exhausts the parser's stack);
- an object with the same key twice (``json`` keeps the last one; a signature checker and a
  reader of the claims might see different values);
- integers outside the signed 64-bit range, :data:`INT_MIN`..:data:`INT_MAX` (other JSON
  readers round or refuse them, and converting thousands of digits costs quadratic time);
- ``NaN``, ``Infinity`` and numbers that overflow to them (not JSON, and no canonical form);
- strings holding a lone surrogate (an escape such as ``\ud800`` unpaired: it has no UTF-8
  encoding, so storing one breaks every later read of that row);
- bytes that are not UTF-8 (a leading byte order mark is allowed), and more than
  ``max_bytes`` of them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from creditbank.errors import InvalidJson

MAX_DEPTH = 64
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)
_MAX_INT_LITERAL = len(str(INT_MIN))  # 20 characters with the sign
_MAX_FLOAT_LITERAL = 64

# Strings, and the brackets between them: enough to count nesting without parsing.
_TOKEN = re.compile(r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"|[\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Refused:
    """Stands where a value was refused while parsing, until the walk finds its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Duplicated(dict[str, Any]):
    """An object that had a key twice (the walk reports it with its path)."""

    duplicate: str = ""


def read_json(data: bytes | str, *, max_bytes: int | None = None) -> Any:
    """Parse one JSON document strictly; InvalidJson naming the first problem otherwise."""
    if isinstance(data, bytes):
        if max_bytes is not None and len(data) > max_bytes:
            raise InvalidJson(f"more than {max_bytes} bytes", path="$")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJson(f"not UTF-8 (byte {exc.start})", path="$") from None
    else:
        text = data
        if max_bytes is not None and len(text) > max_bytes:  # characters: a lower bound
            raise InvalidJson(f"more than {max_bytes} bytes", path="$")
    text = text.removeprefix("\ufeff")
    _check_depth(text)
    refused: list[bool] = []

    def mark(value: Any) -> Any:
        refused.append(True)
        return value

    try:
        value = json.loads(
            text,
            object_pairs_hook=_object(mark),
            parse_int=_integer(mark),
            parse_float=_float(mark),
            parse_constant=lambda name: mark(_Refused(f"{name} is not a JSON number")),
        )
    except json.JSONDecodeError as exc:
        raise InvalidJson(f"not valid JSON: {exc}", path="$") from None
    if refused or _SURROGATE_ESCAPE.search(text) or _SURROGATE.search(text):
        _walk(value)
    return value


def _check_depth(text: str) -> None:
    depth = 0
    for match in _TOKEN.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidJson(
                    f"nested more than {MAX_DEPTH} levels deep (at character {match.start()})",
                    path="$",
                )
        elif bracket in "]}":
            depth -= 1


def _object(mark: Callable[[Any], Any]) -> Callable[[list[tuple[str, Any]]], Any]:
    def build(pairs: list[tuple[str, Any]]) -> Any:
        found = dict(pairs)
        if len(found) == len(pairs):
            return found
        seen: set[str] = set()
        duplicated = _Duplicated(found)
        for key, _ in pairs:
            if key in seen:
                duplicated.duplicate = key
                break
            seen.add(key)
        return mark(duplicated)

    return build


def _integer(mark: Callable[[Any], Any]) -> Callable[[str], Any]:
    def parse(literal: str) -> Any:
        # Bound the literal before converting it: int() of a huge numeral is slow.
        if len(literal) <= _MAX_INT_LITERAL:
            value = int(literal)
            if INT_MIN <= value <= INT_MAX:
                return value
        return mark(_Refused(f"integer {_abridged(literal)} is outside -2^63..2^63-1"))

    return parse


def _float(mark: Callable[[Any], Any]) -> Callable[[str], Any]:
    def parse(literal: str) -> Any:
        if len(literal) > _MAX_FLOAT_LITERAL:
            return mark(_Refused(f"number {_abridged(literal)} has too many digits"))
        value = float(literal)
        if not math.isfinite(value):
            return mark(_Refused(f"number {_abridged(literal)} is too large"))
        return value

    return parse


def _abridged(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:10]}...({len(literal)} characters)"


def _walk(document: Any) -> None:
    """Find the first refused value, duplicate key or lone surrogate, in document order."""
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            raise InvalidJson(f"{value.reason} at {path}", path=path)
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise InvalidJson(f"string with an unpaired surrogate at {path}", path=path)
        elif isinstance(value, dict):
            if isinstance(value, _Duplicated):
                where = _member(path, value.duplicate)
                key = _abridged(value.duplicate)
                raise InvalidJson(f"duplicate key {key!r} at {where}", path=where)
            children = []
            for key, item in value.items():
                where = _member(path, key)
                if _SURROGATE.search(key):
                    raise InvalidJson(f"key with an unpaired surrogate at {where}", path=where)
                children.append((item, where))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(item, f"{path}[{i}]") for i, item in enumerate(value)]))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def _member(path: str, key: str) -> str:
    # ASCII only (json.dumps escapes the rest): a path may end up in a log line or a page.
    if _NAME.fullmatch(key) and len(key) <= 64:
        return f"{path}.{key}"
    return f"{path}[{json.dumps(_abridged(key))}]"
