"""Strict query-parameter parsing shared by the API's blueprints."""

from __future__ import annotations

from flask import request

from creditbank.errors import InvalidParameter
from creditbank.numerals import natural


def int_param(name: str) -> int:
    """Read a required non-negative decimal integer query parameter."""
    raw = request.args.get(name)
    if raw is None:
        raise InvalidParameter(name, "is required")
    value = natural(raw)
    if value is None:
        raise InvalidParameter(name, f"must be a non-negative decimal integer, got {raw[:40]!r}")
    return value


def choice_param(name: str, choices: tuple[str, ...], default: str) -> str:
    """Read an optional query parameter that must be one of ``choices``."""
    raw = request.args.get(name, default)
    if raw not in choices:
        raise InvalidParameter(name, f"must be one of {', '.join(choices)}")
    return raw
