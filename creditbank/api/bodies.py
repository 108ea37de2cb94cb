"""Reading request bodies strictly: JSON objects only, loaded through marshmallow schemas.

Every JSON body goes through :func:`creditbank.strict_json.read_json`: the views through
:func:`json_object`, and anything calling ``request.get_json()`` through
:class:`StrictJsonProvider`, which the application installs.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema, ValidationError

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.strict_json import read_json


def raw_body() -> bytes:
    """The exact request body bytes (what a batch signature covers)."""
    return request.get_data(cache=True)


def json_object(media_types: tuple[str, ...] = ("application/json",)) -> dict[str, Any]:
    """Parse the body as a JSON object; 400 naming the problem otherwise."""
    if not request.mimetype or request.mimetype not in media_types:
        raise InvalidInput(
            f"the body must be JSON sent as {' or '.join(media_types)}",
            problems=[FieldProblem("Content-Type", f"must be {' or '.join(media_types)}")],
        )
    parsed = read_json(raw_body(), max_bytes=current_app.config.get("MAX_CONTENT_LENGTH"))
    if not isinstance(parsed, dict):
        raise InvalidInput(
            "the body must be a JSON object", problems=[FieldProblem("body", "must be an object")]
        )
    return parsed


class StrictJsonProvider(DefaultJSONProvider):
    """Flask's JSON, reading with the strict reader (``request.get_json()`` included)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse untrusted JSON: refused with a problem document, never parsed leniently."""
        return read_json(s)


def problems_of(error: ValidationError, *, index: int | None = None) -> list[FieldProblem]:
    """Flatten marshmallow's nested messages into dotted field paths with reasons."""
    found: list[FieldProblem] = []

    def walk(messages: Any, path: str) -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
            for message in messages:
                found.append(FieldProblem(path or "body", message, index))
        elif isinstance(messages, list):
            for position, value in enumerate(messages):
                walk(value, f"{path}.{position}")
        else:
            found.append(FieldProblem(path or "body", str(messages), index))

    walk(error.messages, "")
    return found


def load(schema: Schema, data: Any) -> Any:
    """Load ``data`` with ``schema``, turning a ValidationError into InvalidInput."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = problems_of(exc)
        raise InvalidInput(
            "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), problems=problems
        ) from None
