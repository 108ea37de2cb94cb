"""Schemas of a learner's rights: the access log and correction requests."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.api.schemas.strict_fields import Text
from creditbank.text import REASON


class AccessOut(Schema):
    """One read of the learner's data by an institution, under a consent."""

    at = fields.DateTime()
    institution = fields.String()
    principal = fields.String(metadata={"description": "the API key id that read"})
    consent = fields.String()
    kind = fields.String(
        metadata={
            "description": "account, records, record, transfers, evaluation-what-if, "
            "evaluation or cohort-evaluation"
        }
    )
    resource = fields.String(
        metadata={"description": "the account, record or policy id, or the cohort job id"}
    )


class AccessListOut(Schema):
    """Who read the learner's data, newest first."""

    reads = fields.List(fields.Nested(AccessOut))


class CorrectionRequestIn(Schema):
    """A learner's request that one of their records be corrected, and why."""

    class Meta:
        unknown = RAISE

    record = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = Text(REASON, required=True)


class CorrectionAnswerIn(Schema):
    """The posting institution's answer: correct (with the corrected outcome), revoke, decline."""

    class Meta:
        unknown = RAISE

    decision = fields.String(
        required=True, validate=validate.OneOf(["corrected", "revoked", "declined"])
    )
    reason = Text(REASON, required=True)
    outcome = fields.Dict(
        load_default=None,
        metadata={"description": "the corrected outcome (same kind): only to correct"},
    )


class CorrectionOut(Schema):
    """A correction request and its answer."""

    id = fields.String()
    learner = fields.String()
    record = fields.String()
    institution = fields.String()
    record_version = fields.Integer(metadata={"description": "the version the learner saw"})
    reason = fields.String()
    status = fields.String(metadata={"description": "open, corrected, revoked or declined"})
    requested_at = fields.DateTime()
    requested_index = fields.Integer()
    answered_at = fields.DateTime(allow_none=True)
    answer_reason = fields.String(allow_none=True)
    answered_index = fields.Integer(allow_none=True)
    record_index = fields.Integer(
        allow_none=True, metadata={"description": "the record's correcting or revoking entry"}
    )


class CorrectionListOut(Schema):
    """Correction requests."""

    requests = fields.List(fields.Nested(CorrectionOut))


PUBLISHED: tuple[type[Schema], ...] = (
    AccessOut,
    AccessListOut,
    CorrectionRequestIn,
    CorrectionAnswerIn,
    CorrectionOut,
    CorrectionListOut,
)
