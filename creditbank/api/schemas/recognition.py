"""Schemas of transfers under review, learners' applications and 公示 objections."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.api.schemas.evaluations import ExceptionIn
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


class NoticePeriodIn(Schema):
    """The institution's public notice period (公示), in days; 0 for none."""

    class Meta:
        unknown = RAISE

    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=60))


class NoticePeriodOut(Schema):
    """The notice period now, and the entry that set it."""

    institution = fields.String()
    days = fields.Integer()
    ledger_index = fields.Integer()


class ApplicationIn(Schema):
    """A learner's application (申请): a policy, the chosen records, and consent until when."""

    class Meta:
        unknown = RAISE

    policy = fields.String(required=True, validate=validate.Length(min=1, max=80))
    records = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        required=True,
        validate=validate.Length(min=1, max=200),
    )
    consent_until = fields.AwareDateTime(
        required=True,
        metadata={"description": "the evaluate consent given with the application lasts until"},
    )


class DecisionIn(Schema):
    """The registrar's review (审核): approve (adjusted by exceptions) or reject with a reason."""

    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    exceptions = fields.List(fields.Nested(ExceptionIn), load_default=list)
    reason = Text(REASON, load_default=None)
    on = fields.Date(load_default=None)


class WhatIfIn(Schema):
    """A what-if of the application's chosen records, with the registrar's exceptions."""

    class Meta:
        unknown = RAISE

    exceptions = fields.List(fields.Nested(ExceptionIn), load_default=list)
    on = fields.Date(load_default=None)


class ResolutionIn(Schema):
    """The registrar's resolution of an objection: upheld (back to review) or dismissed."""

    class Meta:
        unknown = RAISE

    uphold = fields.Boolean(required=True)
    reason = Text(REASON, required=True)


class StepOut(Schema):
    """One logged step of an application: what, by whom, when, at which index."""

    step = fields.String()
    state = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.DateTime()
    ledger_index = fields.Integer()


class ObjectionOut(Schema):
    """An objection and its resolution."""

    id = fields.String()
    application = fields.String()
    reason = fields.String()
    lodged_at = fields.DateTime()
    resolution = fields.String(allow_none=True)
    resolution_reason = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class ApplicationOut(Schema):
    """An application (申请 → 审核 → 公示 → 认定) with its steps and objections."""

    id = fields.String()
    learner = fields.String()
    institution = fields.String()
    policy = fields.String()
    records = fields.List(fields.String())
    state = fields.String(metadata={"description": "applied, in_notice, recognised or rejected"})
    exceptions = fields.List(fields.Dict())
    decision_reason = fields.String(allow_none=True)
    evaluated_on = fields.Date(allow_none=True)
    result = fields.Dict(allow_none=True)
    notice_until = fields.DateTime(allow_none=True)
    evaluation = fields.String(allow_none=True)
    applied_at = fields.DateTime()
    steps = fields.List(fields.Nested(StepOut))
    objections = fields.List(fields.Nested(ObjectionOut))


class ApplicationListOut(Schema):
    """Applications."""

    applications = fields.List(fields.Nested(ApplicationOut))


class PublicNoticeOut(Schema):
    """An application on public notice (公示), without personal data."""

    application = fields.String()
    name = fields.String(metadata={"description": "the learner's name masked, e.g. 张*"})
    institution = fields.String()
    policy = fields.String()
    programme = fields.String(metadata={"description": "the programme's code"})
    recognised_credits = fields.String()
    courses = fields.List(fields.Dict())
    notice_until = fields.DateTime()


class PublicNoticeListOut(Schema):
    """Every application on public notice."""

    notices = fields.List(fields.Nested(PublicNoticeOut))


PUBLISHED: tuple[type[Schema], ...] = (
    ReasonIn,
    ReviewItemOut,
    ReviewQueueOut,
    ConfirmedOut,
    NoticePeriodIn,
    NoticePeriodOut,
    ApplicationIn,
    DecisionIn,
    WhatIfIn,
    ResolutionIn,
    StepOut,
    ObjectionOut,
    ApplicationOut,
    ApplicationListOut,
    PublicNoticeOut,
    PublicNoticeListOut,
)
