"""Reading request bodies strictly: JSON objects only, loaded through marshmallow schemas."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from creditbank.errors import FieldProblem, InvalidInput


def raw_body() -> bytes:
    """The exact request body bytes (what a batch signature covers)."""
    return request.get_data(cache=True)


def json_object() -> dict[str, Any]:
    """Parse the body as a JSON object; 400 naming the problem otherwise."""
    if not request.mimetype or request.mimetype != "application/json":
        raise InvalidInput(
            "the body must be JSON sent as application/json",
            problems=[FieldProblem("Content-Type", "must be application/json")],
        )
    try:
        parsed = json.loads(raw_body(), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"the body is not valid JSON: {exc}", problems=[FieldProblem("body", "not valid JSON")]
        ) from None
    except ValueError as exc:
        raise InvalidInput(str(exc), problems=[FieldProblem("body", str(exc))]) from None
    if not isinstance(parsed, dict):
        raise InvalidInput(
            "the body must be a JSON object", problems=[FieldProblem("body", "must be an object")]
        )
    return parsed


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


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
