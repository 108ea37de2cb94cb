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


class VerdictOut(Schema):
    """What a verification comes to: one class, and the facts that go with it."""

    class_ = fields.String(
        data_key="class",
        metadata={
            "enum": [
                "valid",
                "revocation_not_checked",
                "revoked",
                "expired",
                "not_yet_valid",
                "altered",
                "issuer_not_trusted",
                "status_unavailable",
            ]
        },
    )
    at = fields.String(metadata={"description": "when it was revoked or expired"})
    category = fields.String(
        metadata={
            "enum": ["withdrawn_by_learner", "record_changed", "transfer_superseded"],
            "description": "why it was revoked",
        }
    )
    check = fields.String(metadata={"description": "the check the verdict turned on"})
    record = fields.String(metadata={"description": "the record that check failed on"})
    summary = fields.String()
    detail = fields.String()


class VerificationOut(Schema):
    """A verification report.

    Looked up by code: ``transcript`` when valid; ``claimed`` (claimed, not verified) when
    it failed otherwise; neither for a revoked transcript, whose verdict says when and why.
    """

    valid = fields.Boolean()
    verdict = fields.Nested(VerdictOut)
    credential = fields.String(allow_none=True)
    credential_type = fields.String(
        data_key="credentialType",
        metadata={"enum": ["ClrCredential", "AchievementCredential"]},
    )
    records = fields.Integer()
    checks = fields.List(fields.Nested(CheckOut))
    transcript = fields.Dict()
    claimed = fields.Dict()


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
    VerdictOut,
    VerificationOut,
    CredentialOut,
)
