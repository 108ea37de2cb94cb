"""Schemas of policies and evaluations."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.api.schemas.strict_fields import Text
from creditbank.text import REASON


class PolicyOut(Schema):
    """A loaded policy and whether its version is published."""

    id = fields.String()
    version = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    pathway = fields.String()
    programme = fields.String()
    institution = fields.String()
    content_hash = fields.String()
    published = fields.Boolean()
    published_index = fields.Integer(allow_none=True)


class PolicyListOut(Schema):
    """Every loaded policy."""

    policies = fields.List(fields.Nested(PolicyOut))


class ExceptionIn(Schema):
    """A registrar's exception, granting or restricting.

    Force (or substitute) a record for a course, waive a course, exclude a record, set a cap
    for this learner, or set a course's credits.
    """

    class Meta:
        unknown = RAISE

    type = fields.String(
        required=True,
        validate=validate.OneOf(["force", "waive", "exclude", "cap", "credits"]),
    )
    target = fields.String(validate=validate.Length(min=1, max=40))
    record = fields.String(validate=validate.Length(min=1, max=36))
    cap = fields.String(validate=validate.Length(min=1, max=60))
    credits = fields.String(validate=validate.Regexp(r"^[0-9]{1,3}(\.[0-9])?$"))
    why = Text(REASON, required=True)


class EvaluationIn(Schema):
    """Evaluate a learner against a policy, on a date (default: today)."""

    class Meta:
        unknown = RAISE

    learner_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    policy = fields.String(required=True, validate=validate.Length(min=1, max=80))
    on = fields.Date(load_default=None)
    exceptions = fields.List(fields.Nested(ExceptionIn), load_default=list)


class EvaluationOut(Schema):
    """An evaluation's result (``id`` and ``ledger_index`` once committed)."""

    id = fields.String(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)
    result_hash = fields.String()
    appeal_of = fields.String(allow_none=True)
    result = fields.Dict()
    transfers = fields.List(
        fields.String(),
        metadata={"description": "ids of the recognised transfers, one per recognised course"},
    )


class RerunOut(Schema):
    """A committed evaluation run again from its recorded inputs."""

    id = fields.String()
    stored_hash = fields.String()
    rerun_hash = fields.String()
    identical = fields.Boolean()


class AppealIn(Schema):
    """A request for re-evaluation (复核): the learner's, or a registrar's decision on it."""

    class Meta:
        unknown = RAISE

    why = Text(REASON, required=True)
    records = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=list,
        metadata={
            "description": "records to reconsider: re-read as they stand now; the others as "
            "the appealed evaluation read them (none named: every record as it stands now)"
        },
    )
    on = fields.Date(
        load_default=None,
        metadata={
            "description": "a registrar's stated as-of date (default: the appealed evaluation's "
            "date); only the evaluation's institution's registrar may state one"
        },
    )


class TransferOut(Schema):
    """A course a committed evaluation recognised: what a transcript can disclose of it."""

    id = fields.String()
    evaluation = fields.String()
    institution = fields.String()
    programme = fields.Dict()
    pathway = fields.String()
    policy = fields.Dict()
    on = fields.String()
    course = fields.Dict()
    recognised_credits = fields.String()
    basis = fields.String()
    ledger_index = fields.Integer()
    status = fields.String(metadata={"description": "standing, or superseded by a later one"})
    superseded_by = fields.String(allow_none=True)


class TransferListOut(Schema):
    """A learner's recognised transfers, in ledger order."""

    transfers = fields.List(fields.Nested(TransferOut))


PUBLISHED: tuple[type[Schema], ...] = (
    PolicyOut,
    PolicyListOut,
    ExceptionIn,
    EvaluationIn,
    EvaluationOut,
    RerunOut,
    AppealIn,
    TransferOut,
    TransferListOut,
)
