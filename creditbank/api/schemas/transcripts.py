"""Schemas of transcript requests, their summaries and verification reports."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.api.schemas.strict_fields import Natural, Text
from creditbank.text import REASON
from creditbank.transcripts.selection import MAX_RECORDS, MAX_VALIDITY_DAYS, MIN_VALIDITY_DAYS


class TranscriptIn(Schema):
    """A learner's request: which records and transfers (all when absent), language, validity."""

    class Meta:
        unknown = RAISE

    records = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        validate=validate.Length(min=1, max=MAX_RECORDS),
        metadata={
            "description": "ids of records and recognised transfers, in the order to show them; "
            "absent: every active record, then every standing transfer"
        },
    )
    language = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))
    validity_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=MIN_VALIDITY_DAYS, max=MAX_VALIDITY_DAYS),
    )


class TranscriptRevocationIn(Schema):
    """Why the learner revokes a transcript."""

    class Meta:
        unknown = RAISE

    reason = Text(REASON, load_default="revoked by the learner")


class VerifyQueryIn(Schema):
    """Query parameters of online verification: how many of the bank's witnesses to require."""

    class Meta:
        unknown = RAISE

    require_witnesses = Natural(high=64, load_default=0)


class TranscriptSummaryOut(Schema):
    """One of a learner's transcripts."""

    id = fields.String()
    verification_code = fields.String()
    language = fields.String()
    issued_at = fields.String()
    valid_until = fields.String()
    records = fields.Integer()
    status = fields.String()
    revoked_at = fields.String(allow_none=True)
    revoked_reason = fields.String(allow_none=True)


class TranscriptListOut(Schema):
    """A learner's transcripts, newest first."""

    transcripts = fields.List(fields.Nested(TranscriptSummaryOut))


class CheckOut(Schema):
    """One verification check."""

    name = fields.String()
    outcome = fields.String()
    reason = fields.String()


class VerificationOut(Schema):
    """A verification report (with the transcript when looked up by code)."""

    valid = fields.Boolean()
    credential = fields.String(allow_none=True)
    records = fields.Integer()
    checks = fields.List(fields.Nested(CheckOut))
    transcript = fields.Dict()


class CredentialOut(Schema):
    """A signed W3C verifiable credential (JSON-LD)."""

    class Meta:
        unknown = RAISE


PUBLISHED: tuple[type[Schema], ...] = (
    TranscriptIn,
    TranscriptRevocationIn,
    TranscriptSummaryOut,
    TranscriptListOut,
    CheckOut,
    VerificationOut,
    CredentialOut,
)
