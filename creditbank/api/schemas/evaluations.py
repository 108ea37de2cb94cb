"""Schemas of policies and evaluations."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.api.schemas.strict_fields import Text
from creditbank.text import REASON


class PolicyVersionOut(Schema):
    """One version of a policy (a catalog year) and the period it is in force."""

    version = fields.String()
    content_hash = fields.String()
    effective_from = fields.Date()
    effective_until = fields.Date(allow_none=True)
    in_force_until = fields.Date(
        allow_none=True,
        metadata={"description": "the last day in force: its own end or the next version's eve"},
    )
    published = fields.Boolean()
    published_index = fields.Integer(allow_none=True)
    origin = fields.String(metadata={"description": "file (the policies folder) or database"})


class PolicyOut(Schema):
    """A loaded policy: the version in force today, and every version with its period."""

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
    applies_by = fields.String(
        metadata={"description": "evaluation_date, entry_date or intake: what chooses the version"}
    )
    versions = fields.List(fields.Nested(PolicyVersionOut))


class QuarantinedOut(Schema):
    """A policy file set aside at start-up (not loaded), with its errors."""

    source = fields.String()
    errors = fields.List(fields.Dict())


class PolicyListOut(Schema):
    """Every loaded policy, and the files set aside."""

    policies = fields.List(fields.Nested(PolicyOut))
    quarantined = fields.List(fields.Nested(QuarantinedOut))


class PolicyUploadIn(Schema):
    """A policy version to check and show before publishing: its text and sample cases."""

    class Meta:
        unknown = RAISE

    policy = fields.String(required=True, validate=validate.Length(min=1, max=1_000_000))
    format = fields.String(load_default="toml", validate=validate.OneOf(["toml", "json"]))
    filename = fields.String(
        load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,120}$")
    )
    cases = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1_000_000),
        metadata={"description": "the sample cases, as a .cases.toml file holds them"},
    )


class ImpactChangeOut(Schema):
    """One learner whose result the new version would change."""

    learner = fields.String(allow_none=True)
    evaluation = fields.String()
    before = fields.String()
    after = fields.String()
    change = fields.String()
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.List(fields.String())


class ImpactOut(Schema):
    """What publishing would change for the learners evaluated under the previous version."""

    previous_version = fields.String(allow_none=True)
    evaluations = fields.Integer()
    unchanged = fields.Integer()
    learners_up = fields.Integer()
    learners_down = fields.Integer()
    credits_up = fields.String()
    credits_down = fields.String()
    transfers_added = fields.Integer()
    transfers_removed = fields.Integer()
    transfers_changed = fields.Integer()
    changes = fields.List(fields.Nested(ImpactChangeOut))


class PolicyDraftOut(Schema):
    """An uploaded version, checked and dry-run, with its impact; published once confirmed."""

    id = fields.String()
    policy = fields.String()
    version = fields.String()
    content_hash = fields.String()
    institution = fields.String()
    effective_from = fields.Date()
    effective_until = fields.Date(allow_none=True)
    applies_by = fields.String()
    format = fields.String()
    source = fields.String()
    cases_passed = fields.Integer()
    impact = fields.Nested(ImpactOut)
    published_index = fields.Integer(allow_none=True)
    impact_csv = fields.String()
    publish = fields.String()


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
    entered_on = fields.Date(
        load_default=None,
        metadata={"description": "the learner's entry date, for a policy applying by it"},
    )
    intake = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1990, max=2200),
        metadata={"description": "the learner's intake year (年级), for a policy applying by it"},
    )
    version = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "a version named outright (default: the one that applies)"},
    )
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
    status = fields.String(
        metadata={
            "description": "standing; under_review (a source it relied on changed: no new "
            "transcript may include it until the registrar re-commits or confirms); or "
            "superseded by a later evaluation"
        }
    )
    superseded_by = fields.String(allow_none=True)
    review = fields.Dict(
        allow_none=True,
        metadata={"description": "while under review: the change (kind, record, reason)"},
    )


class TransferListOut(Schema):
    """A learner's recognised transfers, in ledger order."""

    transfers = fields.List(fields.Nested(TransferOut))


PUBLISHED: tuple[type[Schema], ...] = (
    PolicyVersionOut,
    QuarantinedOut,
    PolicyUploadIn,
    ImpactChangeOut,
    ImpactOut,
    PolicyDraftOut,
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
