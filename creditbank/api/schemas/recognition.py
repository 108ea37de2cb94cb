"""Schemas of transfers under review, learners' applications and 公示 objections."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from creditbank.api.schemas.strict_fields import Text
from creditbank.text import REASON


class ReasonIn(Schema):
    """Why: a registrar's confirmation, a rejection, an objection or its resolution."""

    class Meta:
        unknown = RAISE

    reason = Text(REASON, required=True)


class ReviewItemOut(Schema):
    """A transfer under review, with the change that put it there."""

    transfer = fields.String()
    evaluation = fields.String()
    learner = fields.String()
    policy = fields.String()
    course = fields.Dict()
    credits = fields.String()
    change = fields.Dict(
        metadata={
            "description": "kind (record_corrected, record_revoked, consent_withdrawn), "
            "record, institution, reason, ledger_index"
        }
    )
    since = fields.DateTime()
    ledger_index = fields.Integer()


class ReviewQueueOut(Schema):
    """The institution's transfers under review, oldest first."""

    transfers = fields.List(fields.Nested(ReviewItemOut))


class ConfirmedOut(Schema):
    """A transfer the registrar confirmed: it stands again."""

    transfer = fields.String()
    status = fields.String()
    ledger_index = fields.Integer()


PUBLISHED: tuple[type[Schema], ...] = (ReasonIn, ReviewItemOut, ReviewQueueOut, ConfirmedOut)
