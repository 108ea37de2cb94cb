"""Strict query-parameter parsing shared by the API's blueprints."""

from __future__ import annotations

import re

from flask import request

from creditbank.errors import InvalidParameter

_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_MAX = 2**63 - 1


def int_param(name: str) -> int:
    """Read a required non-negative decimal integer query parameter."""
    raw = request.args.get(name)
    if raw is None:
        raise InvalidParameter(name, "is required")
    if not _DECIMAL.fullmatch(raw) or int(raw) > _MAX:
        raise InvalidParameter(name, f"must be a non-negative decimal integer, got {raw!r}")
    return int(raw)


def choice_param(name: str, choices: tuple[str, ...], default: str) -> str:
    """Read an optional query parameter that must be one of ``choices``."""
    raw = request.args.get(name, default)
    if raw not in choices:
        raise InvalidParameter(name, f"must be one of {', '.join(choices)}")
    return raw
