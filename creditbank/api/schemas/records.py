"""Schemas of posted batches, records and the public log's answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, fields, types

from creditbank.api.schemas.outcomes import EXTERNAL_ID_LENGTH, LEARNER_ID_LENGTH
from creditbank.api.schemas.strict_fields import Text
from creditbank.errors import FieldProblem, InvalidInput, PayloadTooLarge
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import MAX_BATCH_RECORDS, NewRecord
from creditbank.text import REASON, line_policy


class RecordItemsField(fields.Field[list[NewRecord]]):
    """The records of a batch: 1 to ``MAX_BATCH_RECORDS`` items, each a ``RecordItem``."""

    def __init__(self, **kwargs: Any) -> None:
        described = {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH_RECORDS,
            "items": {"$ref": "#/components/schemas/RecordItem"},
        }
        super().__init__(metadata=described, **kwargs)


class RecordBatchIn(Schema):
    """A batch of records to post, all or nothing: ``{"records": [...]}``.

    The one description of the batch body: the OpenAPI document is generated from it and
    loading checks it. Loading answers with the API's own problems rather than marshmallow's:
    an unknown field or a missing, empty or oversize (413) list is refused before any item is
    read; then every bad field of every item is named, by index. Each item's outcome is read
    by the core's parser, as of the ``today`` the schema is built with.
    """

    class Meta:
        unknown = RAISE

    records = RecordItemsField(required=True)

    def __init__(self, *, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.today = today

    def load(
        self,
        data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        many: bool | None = None,
        partial: bool | types.StrSequenceOrSet | None = None,
        unknown: types.UnknownOption | None = None,
    ) -> list[NewRecord]:
        """The batch's records, checked (the options do not apply)."""
        if self.today is None:
            raise TypeError("a batch schema loads only when built with today=")
        if not isinstance(data, Mapping):
            raise InvalidInput(
                "the body must be a JSON object",
                problems=[FieldProblem("body", "must be an object")],
            )
        unknown_fields = sorted(set(data) - set(self.fields))
        if unknown_fields:
            raise InvalidInput(
                f"unknown field {unknown_fields[0]!r}",
                problems=[FieldProblem(u, "unknown field") for u in unknown_fields],
            )
        items = data.get("records")
        if not isinstance(items, list) or not items:
            raise InvalidInput(
                "records must be a non-empty list",
                problems=[FieldProblem("records", "must be a non-empty list")],
            )
        if len(items) > MAX_BATCH_RECORDS:
            raise PayloadTooLarge(
                f"a batch holds at most {MAX_BATCH_RECORDS} records, this one has {len(items)}",
                problems=[FieldProblem("records", f"at most {MAX_BATCH_RECORDS} items")],
            )
        loaded: list[NewRecord] = []
        problems: list[FieldProblem] = []
        for index, item in enumerate(items):
            try:
                loaded.append(_record(item, index, self.today))
            except InvalidInput as exc:
                problems.extend(exc.problems)
        if problems:
            bad = len({p.index for p in problems})
            raise InvalidInput(
                f"{bad} of {len(items)} records are invalid; nothing was posted", problems=problems
            )
        return loaded


def _record(item: Any, index: int, today: date) -> NewRecord:
    """One batch item: ``learner_id``, an optional ``external_id``, and the outcome's fields."""
    if not isinstance(item, dict):
        raise InvalidInput(
            "not an object", problems=[FieldProblem("records", "must be an object", index)]
        )
    outcome_fields = dict(item)
    learner_id = outcome_fields.pop("learner_id", None)
    external_id = outcome_fields.pop("external_id", None)
    problems = []
    fewest, most = EXTERNAL_ID_LENGTH
    if external_id is not None and (
        not isinstance(external_id, str) or not fewest <= len(external_id) <= most
    ):
        problems.append(
            FieldProblem("external_id", f"{fewest}-{most} characters when given", index)
        )
    elif external_id is not None and (reason := line_policy(most).problem(external_id)):
        problems.append(FieldProblem("external_id", reason, index))
    shortest, longest = LEARNER_ID_LENGTH
    if not isinstance(learner_id, str) or not shortest <= len(learner_id) <= longest:
        problems.append(FieldProblem("learner_id", "is required: the learner's account id", index))
    try:
        outcome = parse_outcome(outcome_fields, today=today, index=index)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput("invalid record", problems=problems)
    return NewRecord(str(learner_id), outcome, external_id)


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
    institution = fields.String(metadata={"description": "the poster (kept for old clients)"})
    posted_by = fields.String(metadata={"description": "the member whose key posted it"})
    source_institution = fields.String(metadata={"description": "the member it is from"})
    delegation = fields.String(
        allow_none=True, metadata={"description": "the delegation it was posted under"}
    )
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


class KeyRotationsOut(Schema):
    """The log's key rotation statements, oldest first (signed notes)."""

    rotations = fields.List(fields.String())


class InclusionProofOut(Schema):
    """An RFC 9162 inclusion proof."""

    index = fields.Integer()
    size = fields.Integer()
    hashes = fields.List(fields.String())


class ErasureOut(Schema):
    """One erased opening: the entry's index and when it was erased."""

    index = fields.Integer()
    erased_at = fields.String()


class ErasuresOut(Schema):
    """The erased openings among the indices asked about."""

    erasures = fields.List(fields.Nested(ErasureOut))


class ConsistencyProofOut(Schema):
    """An RFC 9162 consistency proof."""

    first = fields.Integer()
    second = fields.Integer()
    hashes = fields.List(fields.String())


PUBLISHED: tuple[type[Schema], ...] = (
    RecordBatchIn,
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
