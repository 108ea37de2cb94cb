"""The four outcome kinds as marshmallow schemas: the OpenAPI document's shapes, and dumping.

Reading an outcome is the core's job (:func:`creditbank.records.parsing.parse_outcome`);
these schemas describe the same fields, with the core's limits, for the OpenAPI document,
and dump a typed outcome back to its JSON shape (equal to ``to_payload()``). Loading through
one of them delegates to the core's parser, so there is one reading of an outcome.

marshmallow 4 has no schema ``context``: the date an outcome may not lie beyond is given to
the schema's constructor (``CourseSchema(today=...)``). A schema built without ``today`` can
dump and document, but refuses to load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, types, validate

from creditbank.errors import InvalidInput
from creditbank.records.grades import GradeScale, canonical_decimal
from creditbank.records.outcomes import (
    MAX_COURSE_CREDITS,
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    MIN_TRAINING_HOURS,
    TEXT_LIMITS,
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    Outcome,
    TrainingOutcome,
)
from creditbank.records.parsing import parse_outcome
from creditbank.records.vocabulary import (
    Attempt,
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Term,
    Vocabulary,
)

# The batch-item fields beside the outcome's own, as (shortest, longest) lengths.
LEARNER_ID_LENGTH = (1, 36)
EXTERNAL_ID_LENGTH = (1, 100)

# --- fields ---------------------------------------------------------------------------------


def _text(name: str, *, required: bool = True) -> fields.String:
    described = {"minLength": 1, "maxLength": TEXT_LIMITS[name]}
    if required:
        return fields.String(required=True, metadata=described)
    return fields.String(load_default=None, allow_none=True, metadata=described)


def _choice(vocabulary: type[Vocabulary], *, required: bool = True) -> fields.Enum[Any]:
    # By value, through String: codes out as plain str (never the enum member).
    if required:
        return fields.Enum(vocabulary, by_value=fields.String, required=True)
    return fields.Enum(vocabulary, by_value=fields.String, load_default=None, allow_none=True)


def _hours(low: int, high: int) -> fields.Integer:
    return fields.Integer(required=True, strict=True, metadata={"minimum": low, "maximum": high})


class CreditsField(fields.Field[Decimal]):
    """Credits as a JSON number or a decimal string: 0 to 30, at most one decimal place."""

    def __init__(self, **kwargs: Any) -> None:
        described = {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": int(MAX_COURSE_CREDITS)},
                {"type": "string", "pattern": r"^[0-9]{1,2}(\.[0-9])?$"},
            ],
            "example": "3.5",
        }
        super().__init__(metadata=described, **kwargs)

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else canonical_decimal(value)


class TermField(fields.Field[Term]):
    """An academic term, ``2024-2025-1``."""

    def __init__(self, **kwargs: Any) -> None:
        described = {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{4}-[12]$",
            "example": "2024-2025-1",
        }
        super().__init__(metadata=described, **kwargs)

    def _serialize(self, value: Term | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)


# --- schemas --------------------------------------------------------------------------------


class GradeSchema(Schema):
    """``{"scale": ..., "value": ...}``, both strings, the value checked against the scale."""

    class Meta:
        unknown = RAISE

    scale = fields.String(required=True, metadata={"enum": [s.value for s in GradeScale]})
    value = fields.String(required=True, metadata={"minLength": 1, "maxLength": 10})


class _OutcomeSchema(Schema):
    """Common to every kind: strict fields, and the ``today`` no outcome date may pass."""

    class Meta:
        unknown = RAISE

    made: type[Outcome]

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
    ) -> Outcome:
        """Read one outcome of this kind with the core's parser (the options do not apply)."""
        if self.today is None:
            raise TypeError("an outcome schema loads only when built with today=")
        kind = self.made.kind.value
        if isinstance(data, dict) and data.get("kind") != kind:
            raise ValidationError({"kind": [f"Must be equal to {kind}."]})
        try:
            return parse_outcome(data, today=self.today)
        except InvalidInput as exc:
            messages: dict[str, list[str]] = {}
            for problem in exc.problems:
                messages.setdefault(problem.field, []).append(problem.reason)
            raise ValidationError(messages) from None


def _kind(kind: OutcomeKind) -> fields.String:
    return fields.String(
        required=True, validate=validate.Equal(kind.value), metadata={"enum": [kind.value]}
    )


class CourseSchema(_OutcomeSchema):
    """A course result."""

    made = CourseOutcome
    kind = _kind(OutcomeKind.COURSE)
    course_code = _text("course_code")
    title_zh = _text("title_zh")
    title_en = _text("title_en", required=False)
    source_institution = fields.String(
        required=True, metadata={"pattern": r"^[A-Z0-9][A-Z0-9-]{1,31}$"}
    )
    level = _choice(Level)
    programme = _text("programme")
    term = TermField(required=True)
    hours = _hours(0, MAX_COURSE_HOURS)
    credits = CreditsField(required=True)
    grade = fields.Nested(GradeSchema, required=True)
    completed_on = fields.Date(required=True)
    attempt = fields.Enum(
        Attempt,
        by_value=fields.String,
        load_default=Attempt.REGULAR,
        allow_none=True,
        metadata={"description": "makeup: the grade comes from a 补考 (under the original term)"},
    )

    @post_dump
    def _regular_unsaid(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # As in the payload: only a 补考 names its attempt.
        if data.get("attempt") in (None, Attempt.REGULAR.value):
            data.pop("attempt", None)
        return data


class CertificateSchema(_OutcomeSchema):
    """A certificate (1+X, which needs its level, or another)."""

    made = CertificateOutcome
    kind = _kind(OutcomeKind.CERTIFICATE)
    certificate_type = _choice(CertificateType)
    title = _text("title")
    level = _choice(CertificateLevel, required=False)
    certificate_number = _text("certificate_number")
    awarding_organisation = _text("awarding_organisation")
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(load_default=None, allow_none=True)  # rightly in the future


class TrainingSchema(_OutcomeSchema):
    """A training outcome."""

    made = TrainingOutcome
    kind = _kind(OutcomeKind.TRAINING)
    provider = _text("provider")
    title = _text("title")
    hours = _hours(MIN_TRAINING_HOURS, MAX_TRAINING_HOURS)
    result = fields.Nested(GradeSchema, required=True)
    started_on = fields.Date(required=True)
    completed_on = fields.Date(required=True)


class AwardSchema(_OutcomeSchema):
    """A competition award."""

    made = AwardOutcome
    kind = _kind(OutcomeKind.AWARD)
    competition = _text("competition")
    level = _choice(CompetitionLevel)
    rank = _choice(AwardRank)
    awarded_on = fields.Date(required=True)
    track = _text("track", required=False)


def _item(schema: type[_OutcomeSchema]) -> type[Schema]:
    """The batch-item form of an outcome schema: the same fields plus ``learner_id``.

    Only the OpenAPI document uses these; a batch item is read by ``RecordBatchIn``.
    """
    name = schema.__name__.removesuffix("Schema") + "Item"
    shortest, longest = LEARNER_ID_LENGTH
    fewest, most = EXTERNAL_ID_LENGTH
    attributes = {
        "learner_id": fields.String(
            required=True, validate=validate.Length(min=shortest, max=longest)
        ),
        "external_id": fields.String(validate=validate.Length(min=fewest, max=most)),
        "__doc__": f"A batch item: {name}.",
    }
    return type(name, (schema,), attributes)


SCHEMAS: dict[str, type[_OutcomeSchema]] = {
    OutcomeKind.COURSE.value: CourseSchema,
    OutcomeKind.CERTIFICATE.value: CertificateSchema,
    OutcomeKind.TRAINING.value: TrainingSchema,
    OutcomeKind.AWARD.value: AwardSchema,
}
ITEM_SCHEMAS: dict[str, type[Schema]] = {kind: _item(schema) for kind, schema in SCHEMAS.items()}

_DUMPERS: dict[str, _OutcomeSchema] = {kind: schema() for kind, schema in SCHEMAS.items()}


def dump_outcome(outcome: Outcome) -> dict[str, Any]:
    """The JSON form of ``outcome``, the shape the core's parser reads (equal to its payload)."""
    dumped: dict[str, Any] = _DUMPERS[outcome.kind.value].dump(outcome)
    return dumped
