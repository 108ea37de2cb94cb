"""Loading the four outcome kinds from JSON, field by field, into typed values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from creditbank.api.bodies import problems_of
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.grades import Grade, GradeScale, parse_grade
from creditbank.records.outcomes import (
    MAX_COURSE_CREDITS,
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    AwardOutcome,
    CertificateOutcome,
    CourseOutcome,
    Outcome,
    TrainingOutcome,
)
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Term,
    parse_term,
)


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _choice(values: type[StrEnum], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf([v.value for v in values]), **kwargs)


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

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("must be a number or a decimal string")
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValidationError("must be a decimal number") from None
        if not number.is_finite():
            raise ValidationError("must be a finite number")
        if number.as_tuple().exponent < -1:  # type: ignore[operator]
            raise ValidationError("at most one decimal place")
        if not 0 <= number <= MAX_COURSE_CREDITS:
            raise ValidationError(f"must be between 0 and {MAX_COURSE_CREDITS}")
        # One spelling per value ("2", "2.0", 2 and "-0" alike), so equal facts commit equal bytes.
        return Decimal(format(number.normalize() + 0, "f"))


class TermField(fields.Field[Term]):
    """An academic term, ``2024-2025-1``."""

    def __init__(self, **kwargs: Any) -> None:
        described = {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{4}-[12]$",
            "example": "2024-2025-1",
        }
        super().__init__(metadata=described, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Term:
        if not isinstance(value, str):
            raise ValidationError("must be a string like 2024-2025-1")
        try:
            return parse_term(value)
        except InvalidInput as exc:
            raise ValidationError(exc.problems[0].reason) from None


class PastDate(fields.Date):
    """A date that is not after the schema's ``today``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day: date = super()._deserialize(value, attr, data, **kwargs)
        today = getattr(self.root, "today", date.max)
        if day > today:
            raise ValidationError(f"{day.isoformat()} is in the future")
        return day


class GradeSchema(Schema):
    """``{"scale": ..., "value": ...}``, checked against the scale."""

    class Meta:
        unknown = RAISE

    scale = _choice(GradeScale, required=True)
    value = fields.String(required=True, validate=validate.Length(min=1, max=10))

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        try:
            parse_grade(data["scale"], data["value"], "")
        except InvalidInput as exc:
            raise ValidationError({p.field.lstrip("."): [p.reason] for p in exc.problems}) from None

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Grade:
        return parse_grade(data["scale"], data["value"])


class _OutcomeSchema(Schema):
    """Common to every kind: strict fields, and a ``today`` no date may pass."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True)

    def __init__(self, *, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.today = today or date.max


class CourseSchema(_OutcomeSchema):
    """A course result."""

    kind = fields.String(required=True, validate=validate.Equal(OutcomeKind.COURSE.value))
    course_code = _text(40, required=True)
    title_zh = _text(200, required=True)
    title_en = fields.String(load_default=None, validate=validate.Length(max=200))
    source_institution = _text(32, required=True)
    level = _choice(Level, required=True)
    programme = _text(100, required=True)
    term = TermField(required=True)
    hours = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_COURSE_HOURS))
    credits = CreditsField(required=True)
    grade = fields.Nested(GradeSchema, required=True)
    completed_on = PastDate(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> CourseOutcome:
        return CourseOutcome(
            course_code=data["course_code"],
            title_zh=data["title_zh"],
            title_en=data["title_en"],
            source_institution=data["source_institution"],
            level=Level(data["level"]),
            programme=data["programme"],
            term=data["term"],
            hours=data["hours"],
            credits=data["credits"],
            grade=data["grade"],
            completed_on=data["completed_on"],
        )


class CertificateSchema(_OutcomeSchema):
    """A certificate (1+X or other)."""

    kind = fields.String(required=True, validate=validate.Equal(OutcomeKind.CERTIFICATE.value))
    certificate_type = _choice(CertificateType, required=True)
    title = _text(200, required=True)
    level = _choice(CertificateLevel, load_default=None, allow_none=True)
    certificate_number = _text(64, required=True)
    awarding_organisation = _text(200, required=True)
    issued_on = PastDate(required=True)
    expires_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data["certificate_type"] == CertificateType.ONE_PLUS_X and data.get("level") is None:
            raise ValidationError({"level": ["a 1+X certificate needs its level"]})
        if data.get("expires_on") is not None and data["expires_on"] <= data["issued_on"]:
            raise ValidationError({"expires_on": ["must be after issued_on"]})

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> CertificateOutcome:
        level = data.get("level")
        return CertificateOutcome(
            certificate_type=CertificateType(data["certificate_type"]),
            title=data["title"],
            level=None if level is None else CertificateLevel(level),
            certificate_number=data["certificate_number"],
            awarding_organisation=data["awarding_organisation"],
            issued_on=data["issued_on"],
            expires_on=data.get("expires_on"),
        )


class TrainingSchema(_OutcomeSchema):
    """A training outcome."""

    kind = fields.String(required=True, validate=validate.Equal(OutcomeKind.TRAINING.value))
    provider = _text(200, required=True)
    title = _text(200, required=True)
    hours = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, MAX_TRAINING_HOURS)
    )
    result = fields.Nested(GradeSchema, required=True)
    started_on = PastDate(required=True)
    completed_on = PastDate(required=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data["completed_on"] < data["started_on"]:
            raise ValidationError({"completed_on": ["must not be before started_on"]})

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> TrainingOutcome:
        return TrainingOutcome(
            provider=data["provider"],
            title=data["title"],
            hours=data["hours"],
            result=data["result"],
            started_on=data["started_on"],
            completed_on=data["completed_on"],
        )


class AwardSchema(_OutcomeSchema):
    """A competition award."""

    kind = fields.String(required=True, validate=validate.Equal(OutcomeKind.AWARD.value))
    competition = _text(200, required=True)
    level = _choice(CompetitionLevel, required=True)
    rank = _choice(AwardRank, required=True)
    awarded_on = PastDate(required=True)
    track = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> AwardOutcome:
        return AwardOutcome(
            competition=data["competition"],
            level=CompetitionLevel(data["level"]),
            rank=AwardRank(data["rank"]),
            awarded_on=data["awarded_on"],
            track=data.get("track"),
        )


def _item(schema: type[_OutcomeSchema]) -> type[Schema]:
    """The batch-item form of an outcome schema: the same fields plus ``learner_id``.

    Only the OpenAPI document uses these; the API pops ``learner_id`` and ``external_id``
    (the institution's own id for the record) and loads the rest.
    """
    name = schema.__name__.removesuffix("Schema") + "Item"
    attributes = {
        "learner_id": fields.String(required=True, validate=validate.Length(min=1, max=36)),
        "external_id": fields.String(validate=validate.Length(min=1, max=100)),
        "__doc__": f"A batch item: {name}.",
    }
    return type(name, (schema,), attributes)


SCHEMAS: dict[str, type[_OutcomeSchema]] = {
    OutcomeKind.COURSE.value: CourseSchema,
    OutcomeKind.CERTIFICATE.value: CertificateSchema,
    OutcomeKind.TRAINING.value: TrainingSchema,
    OutcomeKind.AWARD.value: AwardSchema,
}
_SCHEMA_CACHE: dict[tuple[str, date], _OutcomeSchema] = {}


def _schema(kind: str, today: date) -> _OutcomeSchema:
    # Building a marshmallow schema is costly; batches of 10,000 reuse one per kind and day.
    cached = _SCHEMA_CACHE.get((kind, today))
    if cached is None:
        if len(_SCHEMA_CACHE) > 64:
            _SCHEMA_CACHE.clear()
        cached = _SCHEMA_CACHE[(kind, today)] = SCHEMAS[kind](today=today)
    return cached


def load_outcome(item: Any, *, today: date, index: int | None = None) -> Outcome:
    """Load one outcome; InvalidInput lists every bad field (with ``index`` in a batch)."""
    if not isinstance(item, dict):
        raise InvalidInput(
            "an outcome must be an object",
            problems=[FieldProblem("body", "must be an object", index)],
        )
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        reason = f"must be one of {', '.join(SCHEMAS)}"
        raise InvalidInput(f"kind {reason}", problems=[FieldProblem("kind", reason, index)])
    try:
        outcome: Outcome = _schema(kind, today).load(item)
    except ValidationError as exc:
        problems = problems_of(exc, index=index)
        raise InvalidInput(
            "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), problems=problems
        ) from None
    return outcome


ITEM_SCHEMAS: dict[str, type[Schema]] = {kind: _item(schema) for kind, schema in SCHEMAS.items()}
