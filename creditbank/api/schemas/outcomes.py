"""The four outcome kinds at the edge: JSON in (checked field by field), JSON out.

Loading turns a JSON object into one of the typed values of ``creditbank.records.outcomes``;
dumping turns such a value back into the same JSON shape (it equals ``to_payload()``).
The reasons for refusing a field come from the core's checks, so the API, the CSV import and
direct construction refuse a value in the same words.

marshmallow 4 has no schema ``context``; the date an outcome may not lie beyond is given to
the schema's constructor (``CourseSchema(today=...)``) and read by the date fields through
``self.root``. A schema built without ``today`` can dump and document, but refuses to load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
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
from creditbank.api.schemas.strict_fields import Text
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.grades import Grade, GradeScale, canonical_decimal, parse_grade
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
    credits_problem,
    future_problem,
    hours_problem,
    institution_code_problem,
)
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
    OutcomeKind,
    Term,
    Vocabulary,
    parse_term,
)
from creditbank.text import line_policy

# --- fields ---------------------------------------------------------------------------------


def _core(check: Callable[[Any], str | None]) -> Callable[[Any], None]:
    """A marshmallow validator that refuses with the core's reason."""

    def validator(value: Any) -> None:
        reason = check(value)
        if reason is not None:
            raise ValidationError(reason)

    return validator


def _text(name: str, *, required: bool = True) -> fields.String:
    # The core's one-line text policy: loaded in NFC, refused in the core's words.
    policy = line_policy(TEXT_LIMITS[name])
    if required:
        return Text(policy, required=True)
    return Text(policy, load_default=None, allow_none=True)


def _choice(vocabulary: type[Vocabulary], *, required: bool = True) -> fields.Enum[Any]:
    # By value, through String: codes in, codes out as plain str (never the enum member).
    if required:
        return fields.Enum(vocabulary, by_value=fields.String, required=True)
    return fields.Enum(vocabulary, by_value=fields.String, load_default=None, allow_none=True)


def _hours(low: int, high: int) -> fields.Integer:
    # strict: 64.0 and "64" are refused; marshmallow refuses booleans in number fields.
    return fields.Integer(
        required=True,
        strict=True,
        validate=_core(lambda hours: hours_problem(hours, low, high)),
        metadata={"minimum": low, "maximum": high},
    )


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
        # bool is an int subclass: true credits are a bug upstream, never 1 credit.
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("must be a number or a decimal string")
        # A float goes through repr, its shortest round-tripping text: 3.5 stays "3.5", and
        # 0.1 + 0.2 becomes "0.30000000000000004", which the one-place rule then refuses.
        text = value.strip() if isinstance(value, str) else repr(value)
        if "_" in text:  # Decimal() reads "1_0" as 10; JSON and people do not write that
            raise ValidationError("must be a decimal number")
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise ValidationError("must be a decimal number") from None
        reason = credits_problem(number)
        if reason is not None:
            raise ValidationError(reason)
        return Decimal(canonical_decimal(number))

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

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Term:
        if not isinstance(value, str):
            raise ValidationError("must be a string like 2024-2025-1")
        try:
            return parse_term(value)
        except InvalidInput as exc:
            raise ValidationError(exc.problems[0].reason) from None

    def _serialize(self, value: Term | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDate(fields.Date):
    """A calendar date written ``YYYY-MM-DD`` and nothing else.

    ``fields.Date`` on Python 3.11+ also reads ``20240520`` and ``2024-W21-1``; a payload
    that is committed and hashed should have one spelling per date.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not value.isascii() or not _ISO_DATE.fullmatch(value):
            raise ValidationError("must be a date written YYYY-MM-DD")
        day: date = super()._deserialize(value, attr, data, **kwargs)
        return day


class PastDate(IsoDate):
    """A date that is not after the loading schema's ``today``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        today = getattr(self.root, "today", None)
        if not isinstance(today, date):
            raise TypeError("an outcome schema loads only when built with today=")
        reason = future_problem(day, today)
        if reason is not None:
            raise ValidationError(reason)
        return day


# --- schemas --------------------------------------------------------------------------------


class GradeSchema(Schema):
    """``{"scale": ..., "value": ...}``, both strings, the value checked against the scale."""

    class Meta:
        unknown = RAISE

    # marshmallow's own "Invalid input type." would not say what a grade looks like. The
    # class attribute is marshmallow's documented way to set it (hence no ClassVar).
    error_messages = {"type": 'must be an object {"scale": ..., "value": ...}'}  # noqa: RUF012

    scale = fields.String(required=True, metadata={"enum": [s.value for s in GradeScale]})
    value = fields.String(required=True, metadata={"minLength": 1, "maxLength": 10})

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        try:
            parse_grade(data["scale"], data["value"], "")
        except InvalidInput as exc:
            # parse_grade names ".scale" or ".value" under the empty prefix given to it.
            raise ValidationError({p.field.lstrip("."): [p.reason] for p in exc.problems}) from None

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Grade:
        return parse_grade(data["scale"], data["value"])


class _OutcomeSchema(Schema):
    """Common to every kind: strict fields, and the ``today`` no outcome date may pass."""

    class Meta:
        unknown = RAISE

    made: type[Outcome]

    def __init__(self, *, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.today = today

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Outcome:
        data.pop("kind")
        try:
            return self.made(**data)
        except InvalidInput as exc:
            # The core's cross-field checks (expiry after issue, a 1+X level, ...).
            raise ValidationError({p.field: [p.reason] for p in exc.problems}) from None


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
        required=True,
        validate=_core(institution_code_problem),
        metadata={"pattern": r"^[A-Z0-9][A-Z0-9-]{1,31}$"},
    )
    level = _choice(Level)
    programme = _text("programme")
    term = TermField(required=True)
    hours = _hours(0, MAX_COURSE_HOURS)
    credits = CreditsField(required=True)
    grade = fields.Nested(GradeSchema, required=True)
    completed_on = PastDate(required=True)


class CertificateSchema(_OutcomeSchema):
    """A certificate (1+X, which needs its level, or another)."""

    made = CertificateOutcome
    kind = _kind(OutcomeKind.CERTIFICATE)
    certificate_type = _choice(CertificateType)
    title = _text("title")
    level = _choice(CertificateLevel, required=False)
    certificate_number = _text("certificate_number")
    awarding_organisation = _text("awarding_organisation")
    issued_on = PastDate(required=True)
    expires_on = IsoDate(load_default=None, allow_none=True)  # rightly in the future


class TrainingSchema(_OutcomeSchema):
    """A training outcome."""

    made = TrainingOutcome
    kind = _kind(OutcomeKind.TRAINING)
    provider = _text("provider")
    title = _text("title")
    hours = _hours(MIN_TRAINING_HOURS, MAX_TRAINING_HOURS)
    result = fields.Nested(GradeSchema, required=True)
    started_on = PastDate(required=True)
    completed_on = PastDate(required=True)


class AwardSchema(_OutcomeSchema):
    """A competition award."""

    made = AwardOutcome
    kind = _kind(OutcomeKind.AWARD)
    competition = _text("competition")
    level = _choice(CompetitionLevel)
    rank = _choice(AwardRank)
    awarded_on = PastDate(required=True)
    track = _text("track", required=False)


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
ITEM_SCHEMAS: dict[str, type[Schema]] = {kind: _item(schema) for kind, schema in SCHEMAS.items()}

_LOADERS: dict[tuple[str, date], _OutcomeSchema] = {}
_DUMPERS: dict[str, _OutcomeSchema] = {kind: schema() for kind, schema in SCHEMAS.items()}


def outcome_schema(kind: str, *, today: date) -> _OutcomeSchema:
    """The loading schema for ``kind`` (one of ``SCHEMAS``) with ``today`` as the latest date."""
    # Building a marshmallow schema is costly; batches of 10,000 reuse one per kind and day.
    # Loading does not change a schema, so threads may share one.
    cached = _LOADERS.get((kind, today))
    if cached is None:
        if len(_LOADERS) > 64:
            _LOADERS.clear()
        cached = _LOADERS[(kind, today)] = SCHEMAS[kind](today=today)
    return cached


def _named(problem: FieldProblem) -> FieldProblem:
    """Name the field itself where marshmallow says ``_schema`` (a nested value of wrong type)."""
    parts = [part for part in problem.field.split(".") if part != "_schema"]
    return FieldProblem(".".join(parts) or "body", problem.reason, problem.index)


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
        outcome: Outcome = outcome_schema(kind, today=today).load(item)
    except ValidationError as exc:
        problems = [_named(p) for p in problems_of(exc, index=index)]
        where = "" if index is None else f"item {index}: "
        raise InvalidInput(
            where + "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), problems=problems
        ) from None
    return outcome


def load_outcomes(items: Sequence[Any], *, today: date) -> list[Outcome]:
    """Load a batch; one InvalidInput lists every bad field of every bad item, by index."""
    if not isinstance(items, list | tuple):
        raise InvalidInput(
            "outcomes must come as a list", problems=[FieldProblem("body", "must be a list")]
        )
    loaded: list[Outcome] = []
    problems: list[FieldProblem] = []
    bad_items = 0
    for index, item in enumerate(items):
        try:
            loaded.append(load_outcome(item, today=today, index=index))
        except InvalidInput as exc:
            bad_items += 1
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(f"{bad_items} of {len(items)} outcomes are invalid", problems=problems)
    return loaded


def dump_outcome(outcome: Outcome) -> dict[str, Any]:
    """The JSON form of ``outcome``, the shape :func:`load_outcome` reads (equal to its payload)."""
    dumped: dict[str, Any] = _DUMPERS[outcome.kind.value].dump(outcome)
    return dumped
