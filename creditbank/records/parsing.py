"""Reading an outcome from its JSON form: one item or a batch, every bad field named.

This is the one parser of outcomes: the API, the CSV import, the web pages, the demo and the
core's own reading of stored payloads all go through it, so a field is refused in the same
words whichever door it came through. It reads exactly the shape ``to_payload`` writes (and
the lenient spellings people type: ``" 3.50 "`` credits, ``优`` for 优秀), field by field
in the order the outcome declares them, then names any field it does not know. The reasons
for the checks that need no JSON (bounds, text, dates) are the core's own, from
:mod:`creditbank.records.outcomes`; the reasons for a wrong JSON type keep the wording the
API has always answered with ("Not a valid string.", "Missing data for required field.").

Cross-field checks (expiry after issue, a 1+X level) are the outcome's own and run only
once every field reads, so a problem document never mixes a bad field with its consequence.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.grades import Grade, canonical_decimal, parse_grade
from creditbank.records.outcomes import (
    MAX_COURSE_HOURS,
    MAX_TRAINING_HOURS,
    MIN_TRAINING_HOURS,
    OUTCOME_TYPES,
    TEXT_LIMITS,
    Outcome,
    credits_problem,
    future_problem,
    hours_problem,
    institution_code_problem,
    text_problem,
)
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
    parse_term,
)

MISSING = "Missing data for required field."
NULL = "Field may not be null."
UNKNOWN = "Unknown field."
NOT_TEXT = "Not a valid string."
NOT_INTEGER = "Not a valid integer."
NOT_A_DATE = "Not a valid date."
GRADE_SHAPE = 'must be an object {"scale": ..., "value": ...}'
KINDS = tuple(kind.value for kind in OutcomeKind)


class _Refused(Exception):
    """A field's value does not read: its reasons, each under a sub-field ('' for itself)."""

    def __init__(self, *reasons: tuple[str, str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise _Refused(("", reason))


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Refused(("", NOT_TEXT))
    return str(value)  # a str subclass (an enum member) reads as its plain text


Reader = Callable[[Any], Any]


def _text(name: str) -> Reader:
    limit = TEXT_LIMITS[name]

    def read(value: object) -> str:
        text = _string(value)
        _refuse(text_problem(text, limit))
        return unicodedata.normalize("NFC", text)  # one spelling of the same text, as stored

    return read


def _institution_code(value: object) -> str:
    code = _string(value)
    _refuse(institution_code_problem(code))
    return code


def _choice(vocabulary: type[Vocabulary]) -> Reader:
    choices = ", ".join(member.value for member in vocabulary)

    def read(value: object) -> Vocabulary:
        try:
            return vocabulary(_string(value))
        except ValueError:
            raise _Refused(("", f"Must be one of: {choices}.")) from None

    return read


def _whole(low: int, high: int) -> Reader:
    def read(value: object) -> int:
        # Only true integers: 64.0, "64" and booleans (an int subclass) are refused.
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _Refused(("", NOT_INTEGER))
        number = int(value)
        _refuse(hours_problem(number, low, high))
        return number

    return read


def _credits(value: object) -> Decimal:
    """Credits as a JSON number or a decimal string: 0 to 30, at most one decimal place."""
    # bool is an int subclass: true credits are a bug upstream, never 1 credit.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Refused(("", "must be a number or a decimal string"))
    # A float goes through repr, its shortest round-tripping text: 3.5 stays "3.5", and
    # 0.1 + 0.2 becomes "0.30000000000000004", which the one-place rule then refuses.
    text = value.strip() if isinstance(value, str) else repr(value)
    if "_" in text:  # Decimal() reads "1_0" as 10; JSON and people do not write that
        raise _Refused(("", "must be a decimal number"))
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise _Refused(("", "must be a decimal number")) from None
    _refuse(credits_problem(number))
    return Decimal(canonical_decimal(number))


def _term(value: object) -> Term:
    if not isinstance(value, str):
        raise _Refused(("", "must be a string like 2024-2025-1"))
    try:
        return parse_term(value)
    except InvalidInput as exc:
        raise _Refused(("", exc.problems[0].reason)) from None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: object) -> date:
    """A calendar date written ``YYYY-MM-DD`` and nothing else.

    ``date.fromisoformat`` on Python 3.11+ also reads ``20240520`` and ``2024-W21-1``; a
    payload that is committed and hashed should have one spelling per date.
    """
    if not isinstance(value, str) or not value.isascii() or not _ISO_DATE.fullmatch(value):
        raise _Refused(("", "must be a date written YYYY-MM-DD"))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Refused(("", NOT_A_DATE)) from None


def _grade(value: object) -> Grade:
    """``{"scale": ..., "value": ...}``, both strings, the value checked against the scale."""
    if not isinstance(value, Mapping):
        raise _Refused(("", GRADE_SHAPE))
    found: list[tuple[str, str]] = []
    texts: dict[str, str] = {}
    for name in ("scale", "value"):
        if name not in value:
            found.append((name, MISSING))
        elif value[name] is None:
            found.append((name, NULL))
        elif not isinstance(value[name], str):
            found.append((name, NOT_TEXT))
        else:
            texts[name] = str(value[name])
    found += [(str(key), UNKNOWN) for key in value if key not in ("scale", "value")]
    if found:
        raise _Refused(*found)
    try:
        return parse_grade(texts["scale"], texts["value"], "")
    except InvalidInput as exc:
        # parse_grade names ".scale" or ".value" under the empty prefix given to it.
        raise _Refused(*((p.field.lstrip("."), p.reason) for p in exc.problems)) from None


@dataclass(frozen=True, slots=True)
class _Field:
    """One field of an outcome's JSON form and how it reads."""

    name: str
    read: Reader
    optional: bool = False  # absent or null reads as ``absent``
    past: bool = False  # a date that may not lie after today
    absent: Any = None


def _required(name: str, read: Reader) -> _Field:
    return _Field(name, read)


def _optional(name: str, read: Reader) -> _Field:
    return _Field(name, read, optional=True)


def _past(name: str) -> _Field:
    return _Field(name, _date, past=True)


# In the order each outcome declares its fields, which is the order problems are named in.
FIELDS: dict[OutcomeKind, tuple[_Field, ...]] = {
    OutcomeKind.COURSE: (
        _required("course_code", _text("course_code")),
        _required("title_zh", _text("title_zh")),
        _optional("title_en", _text("title_en")),
        _required("source_institution", _institution_code),
        _required("level", _choice(Level)),
        _required("programme", _text("programme")),
        _required("term", _term),
        _required("hours", _whole(0, MAX_COURSE_HOURS)),
        _required("credits", _credits),
        _required("grade", _grade),
        _past("completed_on"),
        _Field("attempt", _choice(Attempt), optional=True, absent=Attempt.REGULAR),
    ),
    OutcomeKind.CERTIFICATE: (
        _required("certificate_type", _choice(CertificateType)),
        _required("title", _text("title")),
        _optional("level", _choice(CertificateLevel)),
        _required("certificate_number", _text("certificate_number")),
        _required("awarding_organisation", _text("awarding_organisation")),
        _past("issued_on"),
        _optional("expires_on", _date),  # rightly in the future
    ),
    OutcomeKind.TRAINING: (
        _required("provider", _text("provider")),
        _required("title", _text("title")),
        _required("hours", _whole(MIN_TRAINING_HOURS, MAX_TRAINING_HOURS)),
        _required("result", _grade),
        _past("started_on"),
        _past("completed_on"),
    ),
    OutcomeKind.AWARD: (
        _required("competition", _text("competition")),
        _required("level", _choice(CompetitionLevel)),
        _required("rank", _choice(AwardRank)),
        _past("awarded_on"),
        _optional("track", _text("track")),
    ),
}


def _read(field: _Field, item: Mapping[str, Any], today: date) -> Any:
    if field.name not in item:
        if field.optional:
            return field.absent
        raise _Refused(("", MISSING))
    value = item[field.name]
    if value is None:
        if field.optional:
            return field.absent
        raise _Refused(("", NULL))
    read = field.read(value)
    if field.past:
        _refuse(future_problem(read, today))
    return read


def _fields_of(kind: OutcomeKind, item: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Every field of ``item`` read, or InvalidInput-ready problems (path, reason)."""
    values: dict[str, Any] = {}
    found: list[tuple[str, str]] = []
    for field in FIELDS[kind]:
        try:
            values[field.name] = _read(field, item, today)
        except _Refused as exc:
            found += [(f"{field.name}.{sub}" if sub else field.name, r) for sub, r in exc.reasons]
    known = {"kind"} | {field.name for field in FIELDS[kind]}
    found += [(str(key), UNKNOWN) for key in item if key not in known]
    if found:
        raise _Refused(*found)
    return values


def parse_outcome(item: Any, *, today: date, index: int | None = None) -> Outcome:
    """Read one outcome; InvalidInput lists every bad field (with ``index`` in a batch).

    No date of the outcome (but a certificate's expiry) may lie after ``today``.
    """
    if not isinstance(item, dict):
        raise InvalidInput(
            "an outcome must be an object",
            problems=[FieldProblem("body", "must be an object", index)],
        )
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        reason = f"must be one of {', '.join(KINDS)}"
        raise InvalidInput(f"kind {reason}", problems=[FieldProblem("kind", reason, index)])
    made = OUTCOME_TYPES[OutcomeKind(kind)]
    try:
        values = _fields_of(made.kind, item, today)
        try:
            return made(**values)
        except InvalidInput as exc:
            # The outcome's cross-field checks (expiry after issue, a 1+X level, ...): one
            # reason per field.
            raise _Refused(*{p.field: p.reason for p in exc.problems}.items()) from None
    except _Refused as exc:
        problems = [FieldProblem(field, reason, index) for field, reason in exc.reasons]
        where = "" if index is None else f"item {index}: "
        raise InvalidInput(
            where + "; ".join(f"{p.field}: {p.reason}" for p in problems[:5]), problems=problems
        ) from None


def parse_outcomes(items: Sequence[Any], *, today: date) -> list[Outcome]:
    """Read a batch; one InvalidInput lists every bad field of every bad item, by index."""
    if not isinstance(items, list | tuple):
        raise InvalidInput(
            "outcomes must come as a list", problems=[FieldProblem("body", "must be a list")]
        )
    parsed: list[Outcome] = []
    problems: list[FieldProblem] = []
    bad_items = 0
    for index, item in enumerate(items):
        try:
            parsed.append(parse_outcome(item, today=today, index=index))
        except InvalidInput as exc:
            bad_items += 1
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(f"{bad_items} of {len(items)} outcomes are invalid", problems=problems)
    return parsed
