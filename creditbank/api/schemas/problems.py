"""The RFC 9457 problem document every error answer carries."""

from __future__ import annotations

from marshmallow import Schema, fields


class FieldProblemOut(Schema):
    """One bad field (``index`` for batch items)."""

    field = fields.String(required=True)
    reason = fields.String(required=True)
    index = fields.Integer()


class ProblemOut(Schema):
    """``application/problem+json``."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldProblemOut))
    request_id = fields.String()  # the X-Request-Id of the request, also in the logs
    retry_after = fields.Integer()  # 429: seconds to wait, as in the Retry-After header
    path = fields.String()  # invalid-json: where in the body (a JSONPath, "$" for all of it)
