"""Where a key path sits in a policy's text: the line a validation error points at.

``tomllib`` and ``json`` give no positions, so each text is scanned once for the line of
every key path it spells (``rules.3.min_grade``, ``programme.courses.0.code``); an error's
path is then located at its longest known prefix (a missing key at its table's header, a
value inside an inline table at the key holding it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_BARE = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_KEY = re.compile(rf"^\s*({_BARE}(?:\s*\.\s*{_BARE})*)\s*=")
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|$)""")


def _parts(dotted: str) -> list[str]:
    return [p.strip("\"'") for p in _PART.findall(dotted)]


def toml_lines(text: str) -> dict[str, int]:
    """Key path → 1-based line for a TOML text (tables, arrays of tables, keys)."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}  # array-of-tables path (with parents' indices) -> items so far
    arrays: set[str] = set()  # array-of-tables paths without indices
    current: list[str] = []
    multiline = 0  # open brackets of a value spanning lines
    for number, line in enumerate(text.splitlines(), start=1):
        if multiline:
            multiline += line.count("[") - line.count("]") + line.count("{") - line.count("}")
            multiline = max(multiline, 0)
            continue
        header = _HEADER.match(line)
        if header:
            parts = _parts(header.group(2))
            resolved: list[str] = []
            for position, part in enumerate(parts):
                resolved.append(part)
                plain = ".".join(parts[: position + 1])
                last = position == len(parts) - 1
                if plain in arrays and not (last and header.group(1) == "[["):
                    resolved.append(str(counts.get(".".join(resolved), 1) - 1))
            if header.group(1) == "[[":
                key = ".".join(resolved)
                arrays.add(".".join(parts))
                counts[key] = counts.get(key, 0) + 1
                resolved.append(str(counts[key] - 1))
            current = resolved
            lines.setdefault(".".join(current), number)
            continue
        assigned = _KEY.match(line)
        if assigned:
            path = ".".join([*current, *_parts(assigned.group(1))])
            lines.setdefault(path, number)
            value = line[assigned.end() :]
            value = value.split("#", 1)[0] if '"' not in value else value
            multiline = max(
                value.count("[") - value.count("]") + value.count("{") - value.count("}"), 0
            )
    return lines


def json_lines(text: str) -> dict[str, int]:
    """Key path → 1-based line for a JSON text (objects' keys and arrays' items)."""
    lines: dict[str, int] = {}
    decoder = json.JSONDecoder()
    position = 0

    def skip(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    def line_of(at: int) -> int:
        return text.count("\n", 0, at) + 1

    def value(at: int, path: str) -> int:
        at = skip(at)
        if path:
            lines.setdefault(path, line_of(at))
        if text[at] == "{":
            at = skip(at + 1)
            if text[at] == "}":
                return at + 1
            while True:
                start = skip(at)
                key, at = decoder.raw_decode(text, start)
                lines.setdefault(f"{path}.{key}" if path else str(key), line_of(start))
                at = skip(at)
                at = value(at + 1, f"{path}.{key}" if path else str(key))  # past ':'
                at = skip(at)
                if text[at] == "}":
                    return at + 1
                at += 1  # ','
        if text[at] == "[":
            at = skip(at + 1)
            if text[at] == "]":
                return at + 1
            index = 0
            while True:
                at = value(at, f"{path}.{index}" if path else str(index))
                at = skip(at)
                index += 1
                if text[at] == "]":
                    return at + 1
                at += 1
        _, end = decoder.raw_decode(text, at)
        return int(end)

    try:
        value(position, "")
    except (ValueError, IndexError):
        return lines  # not valid JSON: the parser's own error names the line
    return lines


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path`` or of its longest located prefix (None when nothing matches)."""
    parts = path.split(".") if path else []
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None
