"""Schemas of posted batches, records and the public log's answers."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from creditbank.api.schemas.strict_fields import Text
from creditbank.text import REASON


class PostedRecordOut(Schema):
    """A record a batch created, and its ledger index."""

    id = fields.String()
    index = fields.Integer()


class BatchOut(Schema):
    """The answer to a posted batch (repeated for a retry with the same key)."""

    batch = fields.String()
    records = fields.List(fields.Nested(PostedRecordOut))
    size = fields.Integer()


class RecordVersionOut(Schema):
    """One version of a record."""

    version = fields.Integer()
    action = fields.String()
    outcome = fields.Dict()
    reason = fields.String(allow_none=True)
    recorded_at = fields.String()
    ledger_index = fields.Integer()


class RecordOut(Schema):
    """A record as it stands (``history`` when asked for)."""

    id = fields.String()
    learner_id = fields.String()
    institution = fields.String()
    kind = fields.String()
    status = fields.String()
    version = fields.Integer()
    posted_at = fields.String()
    updated_at = fields.String()
    outcome = fields.Dict()
    ledger_index = fields.Integer()
    expired = fields.Boolean()  # certificates: flagged past their expiry date
    history = fields.List(fields.Nested(RecordVersionOut))


class RecordListOut(Schema):
    """A learner's records."""

    records = fields.List(fields.Nested(RecordOut))


class CorrectionIn(Schema):
    """A corrected outcome (same kind) and why."""

    class Meta:
        unknown = RAISE

    outcome = fields.Dict(required=True)
    reason = Text(REASON, required=True)


class RevocationIn(Schema):
    """Why a record is revoked."""

    class Meta:
        unknown = RAISE

    reason = Text(REASON, required=True)


class LogEntryOut(Schema):
    """An entry's bytes, base64."""

    index = fields.Integer()
    data = fields.String()


class LogEntriesOut(Schema):
    """A page of entries."""

    entries = fields.List(fields.Nested(LogEntryOut))


class InclusionProofOut(Schema):
    """An RFC 9162 inclusion proof."""

    index = fields.Integer()
    size = fields.Integer()
    hashes = fields.List(fields.String())


class ConsistencyProofOut(Schema):
    """An RFC 9162 consistency proof."""

    first = fields.Integer()
    second = fields.Integer()
    hashes = fields.List(fields.String())


PUBLISHED: tuple[type[Schema], ...] = (
    PostedRecordOut,
    BatchOut,
    RecordVersionOut,
    RecordOut,
    RecordListOut,
    CorrectionIn,
    RevocationIn,
    LogEntryOut,
    LogEntriesOut,
    InclusionProofOut,
    ConsistencyProofOut,
)
