"""Loading policies from TOML (or JSON), validated against a schema.

Errors name the file, the key path and its line. A policy's content hash is the SHA-256 of
the canonical JSON of its parsed data, so the same rules hash alike however the file is
formatted (TOML or JSON alike); a committed evaluation records it.

A folder may hold several versions of one policy id (``<id>.toml``, ``<id>.<version>.toml``):
:func:`load_folder` loads every good file and sets each bad one aside, quarantined, with its
errors, so one broken file never stops the others from loading.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from creditbank.canonical import canonical_json
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.grades import ECTS_GRADES, FIVE_LEVELS, LETTERS, TWO_LEVELS, GradeScale
from creditbank.records.vocabulary import (
    AwardRank,
    CompetitionLevel,
    Level,
    OutcomeKind,
)
from creditbank.rules.locate import json_lines, line_of, toml_lines
from creditbank.rules.normalise import normalise_title
from creditbank.rules.policy import (
    NO_SCOPE,
    ONE_PLUS_X,
    RECORDINGS,
    Accumulate,
    Agreement,
    AppliesBy,
    AwardRule,
    Below,
    Caps,
    Category,
    CategoryCap,
    CertificateRule,
    Combine,
    Competition,
    CourseRule,
    Gate,
    GradeTable,
    Grant,
    Ladder,
    Makeup,
    Policy,
    Programme,
    Rounding,
    RoundingMode,
    Rule,
    Scope,
    SourceMatch,
    TargetCourse,
    Track,
    TrainingRule,
    YearBasis,
)

_WORDS = {
    GradeScale.FIVE_LEVEL: FIVE_LEVELS,
    GradeScale.TWO_LEVEL: TWO_LEVELS,
    GradeScale.LETTER: LETTERS,
    GradeScale.ECTS: ECTS_GRADES,
}


class PolicyError(InvalidInput):
    """A policy file is not valid; the problems name the file and the key path."""

    slug = "policy-invalid"
    title = "Invalid policy"


def _number(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(allow_nan=False, validate=validate.Range(min=0), **kwargs)


def _choice(values: Iterable[Any], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf([str(v) for v in values]), **kwargs)


class _Strict(Schema):
    """Unknown keys are errors, never silently ignored."""

    class Meta:
        unknown = RAISE


class CourseSchema(_Strict):
    """A course of the target programme."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title_zh = fields.String(required=True)
    title_en = fields.String(load_default="")
    credits = _number(required=True)
    category = _choice(Category, required=True)
    hours = fields.Integer(strict=True, validate=validate.Range(min=1, max=2000))


class ProgrammeSchema(_Strict):
    """The target programme."""

    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(load_default="")
    institution = fields.String(required=True, validate=validate.Length(min=1, max=32))
    total_credits = _number(required=True)
    residency_credits = _number(load_default=Decimal(0))
    courses = fields.List(
        fields.Nested(CourseSchema), required=True, validate=validate.Length(min=1)
    )


class SourceSchema(_Strict):
    """A source course, by code or by title."""

    code = fields.String()
    title = fields.String()

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if ("code" in data) == ("title" in data):
            raise ValidationError("give exactly one of code or title", "code")


class AccumulateSchema(_Strict):
    """Parts that add up inside one course."""

    fill_at = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False))
    unit = fields.String(load_default="parts", validate=validate.OneOf(["parts", "hours"]))
    part = fields.Decimal(validate=validate.Range(min=0, min_inclusive=False))
    combine = _choice(Combine, load_default=Combine.SUM.value)
    below = _choice(Below, load_default=Below.NOTHING.value)
    step = fields.Decimal(load_default=Decimal("0.5"), validate=validate.Range(min=Decimal("0.1")))


_RATIO = validate.Range(min=0, max=2, min_inclusive=False)


class RuleSchema(_Strict):
    """One rule; which keys it takes depends on its kind."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    kind = _choice(OutcomeKind, required=True)
    targets = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    sources = fields.List(fields.Nested(SourceSchema), validate=validate.Length(min=1))
    min_grade = _number()
    title = fields.String()
    titles = fields.List(
        fields.String(validate=validate.Length(min=1)), validate=validate.Length(min=2)
    )
    min_level = fields.String()
    credits = _number()
    title_contains = fields.String()
    hours_per_credit = fields.Decimal(validate=validate.Range(min=1))
    step = fields.Decimal(validate=validate.Range(min=Decimal("0.1")))
    max_credits = _number()
    ranks = fields.List(_choice(AwardRank))
    ladder = fields.String()
    regions = fields.List(fields.String())
    institutions = fields.List(fields.String())
    agreements = fields.List(fields.String())
    max_age_years = fields.Integer(strict=True, validate=validate.Range(min=1, max=50))
    accumulate = fields.Nested(AccumulateSchema)
    min_hours_ratio = fields.Decimal(validate=_RATIO)
    min_credits_ratio = fields.Decimal(validate=_RATIO)
    grant = _choice(Grant)
    competitions = fields.List(fields.String(), validate=validate.Length(min=1))
    tier = fields.String()
    tracks = fields.List(fields.String(), validate=validate.Length(min=1))
    team_credits = _number()
    record_as = fields.String(validate=validate.OneOf(RECORDINGS))

    # Which keys each kind of rule needs and allows (beyond those every rule allows).
    COMMON: ClassVar[set[str]] = {
        "regions",
        "institutions",
        "agreements",
        "max_age_years",
        "record_as",
    }
    NEEDS: ClassVar[dict[str, set[str]]] = {
        "course": {"sources"},
        "certificate": set(),
        "training": set(),
        "award": {"min_level", "ranks", "credits"},
    }
    ALLOWS: ClassVar[dict[str, set[str]]] = {
        "course": {"sources", "min_grade", "min_hours_ratio", "min_credits_ratio", "grant"},
        "certificate": {"title", "titles", "min_level", "credits", "ladder", "accumulate"},
        "training": {
            "title_contains",
            "hours_per_credit",
            "step",
            "max_credits",
            "min_grade",
            "accumulate",
        },
        "award": {
            "min_level",
            "ranks",
            "credits",
            "competitions",
            "tier",
            "tracks",
            "team_credits",
            "accumulate",
        },
    }

    @validates_schema
    def _by_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data["kind"]
        given = set(data) - {"id", "kind", "targets"}
        for key in sorted(given - self.ALLOWS[kind] - self.COMMON):
            raise ValidationError(f"not allowed in a {kind} rule", key)
        for key in sorted(self.NEEDS[kind] - given):
            raise ValidationError(f"required in a {kind} rule", key)
        if kind == "certificate" and ("title" in data) == ("titles" in data):
            raise ValidationError("give title or titles (several certificates alike)", "title")
        if kind == "training" and ("hours_per_credit" in data) == ("accumulate" in data):
            raise ValidationError("give hours_per_credit or accumulate, not both", "accumulate")
        if kind == "award" and data["min_level"] not in {v.value for v in CompetitionLevel}:
            allowed = ", ".join(v.value for v in CompetitionLevel)
            raise ValidationError(f"must be one of {allowed}", "min_level")
        if "accumulate" in data and len(data["targets"]) != 1:
            raise ValidationError("parts add up inside one course: give one target", "targets")
        if "competitions" in data and "tier" in data:
            raise ValidationError("give competitions or tier, not both", "tier")


class GradeTableSchema(_Strict):
    """A scale's conversion to the 0–100 comparison scale (of one institution, when named)."""

    words = fields.Dict(keys=fields.String(), values=_number())
    multiply = fields.Decimal()
    add = fields.Decimal(load_default=Decimal(0))
    bands = fields.List(
        fields.List(_number(), validate=validate.Length(equal=2)), validate=validate.Length(min=1)
    )


_SCALE_KEY = validate.Regexp(
    rf"^({'|'.join(s.value for s in GradeScale)})(@[A-Z0-9][A-Z0-9-]{{1,31}})?$",
    error="must be a grade scale, or scale@INSTITUTION for one institution's own table",
)


class LadderSchema(_Strict):
    """A level ladder, lowest first."""

    steps = fields.List(fields.String(validate=validate.Length(min=1)), required=True)
    aliases = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class AgreementSchema(_Strict):
    """A partner agreement."""

    institutions = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    starts = fields.Date(required=True)
    ends = fields.Date()


class TrackSchema(_Strict):
    """A competition's track (赛项)."""

    name = fields.String(required=True, validate=validate.Length(min=1))
    team = fields.Boolean(load_default=False)


class CompetitionSchema(_Strict):
    """A competition the rules may name."""

    names = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    tier = fields.String()
    tracks = fields.List(fields.Nested(TrackSchema))


class GateSchema(_Strict):
    """A condition that must hold before the rules apply."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    kind = _choice(OutcomeKind, required=True)
    title = fields.String(required=True, validate=validate.Length(min=1))
    ladder = fields.String()
    min_level = fields.String()
    min_grade = _number()
    rules = fields.List(fields.String())


class MakeupSchema(_Strict):
    """How a 补考 (make-up exam) pass counts."""

    accepted = fields.Boolean(load_default=True)
    grade = _number()
    record_as = fields.String(validate=validate.OneOf(RECORDINGS))

    @validates_schema
    def _one_reading(self, data: dict[str, Any], **_: Any) -> None:
        if not data["accepted"] and ("grade" in data or "record_as" in data):
            raise ValidationError("a 补考 pass that is not accepted is not graded", "accepted")
        grade = data.get("grade")
        if grade is not None and not Decimal(0) <= grade <= Decimal(100):
            raise ValidationError("a grade on the 0-100 scale", "grade")


class RoundingSchema(_Strict):
    """How converted grades are rounded before they are compared."""

    places = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=2))
    mode = _choice(RoundingMode, required=True)


class CategoryCapSchema(_Strict):
    """A cap on one course category: credits or a fraction of the category's credits."""

    credits = _number()
    fraction = fields.Decimal(validate=validate.Range(min=0, max=1))

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if ("credits" in data) == ("fraction" in data):
            raise ValidationError("give exactly one of credits or fraction", "credits")


class ResidencySchema(_Strict):
    """Credits that must be earned at the receiving institution."""

    per_category = fields.Dict(keys=_choice(Category), values=_number())
    last_credits = _number()


class CapsSchema(_Strict):
    """Caps on what an evaluation recognises."""

    total_credits = _number()
    total_fraction = fields.Decimal(validate=validate.Range(min=0, max=1))
    per_kind = fields.Dict(keys=_choice(OutcomeKind), values=_number())
    per_institution = _number()
    per_academic_year = _number()
    certificates = fields.Integer(strict=True, validate=validate.Range(min=0))
    per_category = fields.Dict(keys=_choice(Category), values=fields.Nested(CategoryCapSchema))
    academic_year = _choice(YearBasis)


class PolicySchema(_Strict):
    """A whole policy file."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,79}$"))
    version = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$", error="letters, digits, . _ + -, at most 40"
        ),
    )
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    pathway = fields.String(required=True)
    source_levels = fields.List(_choice(Level), required=True, validate=validate.Length(min=1))
    target_level = _choice(Level, required=True)
    effective_from = fields.Date(required=True)
    effective_until = fields.Date()
    applies_by = _choice(AppliesBy, load_default=AppliesBy.EVALUATION_DATE.value)
    intake_starts = fields.String(
        validate=validate.Regexp(r"^[01][0-9]-[0-3][0-9]$", error="a month-day like 09-01")
    )
    max_outcome_age_years = fields.Integer(strict=True, validate=validate.Range(min=1, max=50))
    max_age_years = fields.Dict(
        keys=_choice(OutcomeKind),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=50)),
    )
    ladders = fields.Dict(keys=fields.String(), values=fields.Nested(LadderSchema))
    agreements = fields.Dict(keys=fields.String(), values=fields.Nested(AgreementSchema))
    competitions = fields.Dict(keys=fields.String(), values=fields.Nested(CompetitionSchema))
    gates = fields.List(fields.Nested(GateSchema))
    grade_rounding = fields.Nested(RoundingSchema)
    makeup = fields.Nested(MakeupSchema)
    record_as = fields.String(validate=validate.OneOf(RECORDINGS))
    residency = fields.Nested(ResidencySchema)
    regions = fields.List(fields.String())
    institutions = fields.List(fields.String())
    catch_all = fields.String()
    programme = fields.Nested(ProgrammeSchema, required=True)
    grade_conversion = fields.Dict(
        keys=fields.String(validate=_SCALE_KEY), values=fields.Nested(GradeTableSchema)
    )
    min_grade = fields.Dict(keys=_choice(OutcomeKind), values=_number())
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(min=1))
    caps = fields.Nested(CapsSchema)


def _flatten(messages: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            out += _flatten(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, m) for m in messages]
    if isinstance(messages, list):
        return [pair for item in messages for pair in _flatten(item, path)]
    return [(path, str(messages))]


def _fail(
    source: str, problems: list[tuple[str, str]], lines: dict[str, int] | None = None
) -> PolicyError:
    located = [
        (path, reason, None if lines is None else line_of(lines, path)) for path, reason in problems
    ]
    listed = "; ".join(
        f"{path}{'' if line is None else f' (line {line})'}: {reason}"
        for path, reason, line in located[:5]
    )
    return PolicyError(
        f"{source}: {listed}",
        problems=[
            FieldProblem(f"{source}:{path}", reason, line=line) for path, reason, line in located
        ],
    )


def _cross_checks(data: dict[str, Any]) -> list[tuple[str, str]]:
    """What a per-field schema cannot see: references between parts of the file."""
    problems: list[tuple[str, str]] = []
    codes = [course["code"] for course in data["programme"]["courses"]]
    known = set(codes)
    if len(known) != len(codes):
        problems.append(("programme.courses", "course codes must be unique"))
    ids = [rule["id"] for rule in data["rules"]]
    if len(set(ids)) != len(ids):
        problems.append(("rules", "rule ids must be unique"))
    if "catch_all" in data and data["catch_all"] not in known:
        problems.append(("catch_all", f"unknown course {data['catch_all']!r}"))
    problems += _ladder_checks(data)
    ladders = _ladder_steps(data)
    hours = {c["code"]: c.get("hours") for c in data["programme"]["courses"]}
    for position, rule in enumerate(data["rules"]):
        problems += [(f"rules.{position}.{key}", why) for key, why in _rule_checks(data, rule)]
        for target in rule["targets"]:
            if target not in known:
                problems.append((f"rules.{position}.targets", f"unknown course {target!r}"))
            elif "min_hours_ratio" in rule and hours[target] is None:
                problems.append(
                    (f"rules.{position}.min_hours_ratio", f"course {target} states no hours")
                )
        if rule["kind"] == "certificate" and "min_level" in rule:
            steps = ladders.get(rule.get("ladder", ONE_PLUS_X.id), ())
            if rule["min_level"] not in steps:
                problems.append(
                    (f"rules.{position}.min_level", f"must be one of {', '.join(steps)}")
                )
    for position, gate in enumerate(data.get("gates", [])):
        ladder = gate.get("ladder", ONE_PLUS_X.id)
        if ladder not in ladders:
            problems.append((f"gates.{position}.ladder", f"unknown ladder {ladder!r}"))
        elif "min_level" in gate and gate["min_level"] not in ladders[ladder]:
            listed = ", ".join(ladders[ladder])
            problems.append((f"gates.{position}.min_level", f"must be one of {listed}"))
        for rule_id in gate.get("rules", []):
            if rule_id not in ids:
                problems.append((f"gates.{position}.rules", f"unknown rule {rule_id!r}"))
    gate_ids = [gate["id"] for gate in data.get("gates", [])]
    if len(set(gate_ids)) != len(gate_ids):
        problems.append(("gates", "gate ids must be unique"))
    problems += _grade_checks(data)
    if "effective_until" in data and data["effective_until"] < data["effective_from"]:
        problems.append(("effective_until", "must not be before effective_from"))
    if "intake_starts" in data:
        if data["applies_by"] != AppliesBy.INTAKE.value:
            problems.append(("intake_starts", 'only for applies_by = "intake"'))
        elif _month_day(data["intake_starts"]) is None:
            problems.append(("intake_starts", "not a day of the year"))
    caps = data.get("caps", {})
    if "total_credits" in caps and "total_fraction" in caps:
        problems.append(("caps", "give total_credits or total_fraction, not both"))
    return problems


def _month_day(text: str) -> tuple[int, int] | None:
    month, day = int(text[:2]), int(text[3:])
    try:
        date(2000, month, day)  # a leap year: 02-29 is a day some years start on
    except ValueError:
        return None
    return month, day


def _ladder_steps(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    steps = {ONE_PLUS_X.id: ONE_PLUS_X.steps}
    steps.update({key: tuple(value["steps"]) for key, value in data.get("ladders", {}).items()})
    return steps


def _ladder_checks(data: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    for key, ladder in data.get("ladders", {}).items():
        if key == ONE_PLUS_X.id:
            problems.append((f"ladders.{key}", "the 1+X ladder is built in; name yours otherwise"))
        steps = ladder["steps"]
        if len(steps) < 2 or len(set(steps)) != len(steps):
            problems.append((f"ladders.{key}.steps", "give two or more distinct steps"))
        for step in ladder.get("aliases", {}):
            if step not in steps:
                problems.append((f"ladders.{key}.aliases.{step}", "not a step of this ladder"))
    return problems


def _rule_checks(data: dict[str, Any], rule: dict[str, Any]) -> list[tuple[str, str]]:
    """References from one rule: ladder, agreements, competitions, tracks, parts."""
    problems = []
    if rule.get("ladder", ONE_PLUS_X.id) not in _ladder_steps(data):
        problems.append(("ladder", f"unknown ladder {rule['ladder']!r}"))
    agreements = data.get("agreements", {})
    for agreement in rule.get("agreements", []):
        if agreement not in agreements:
            problems.append(("agreements", f"unknown agreement {agreement!r}"))
    competitions = data.get("competitions", {})
    for competition in rule.get("competitions", []):
        if competition not in competitions:
            problems.append(("competitions", f"unknown competition {competition!r}"))
    if "tier" in rule and rule["tier"] not in {c.get("tier") for c in competitions.values()}:
        problems.append(("tier", f"no competition is of tier {rule['tier']!r}"))
    named = [competitions[c] for c in rule.get("competitions", []) if c in competitions]
    tracks = {t["name"] for c in (named or competitions.values()) for t in c.get("tracks", [])}
    for track in rule.get("tracks", []):
        if track not in tracks:
            problems.append(("tracks", f"no competition of this rule has the track {track!r}"))
    accumulate = rule.get("accumulate")
    if accumulate is not None:
        if accumulate["unit"] == "hours" and rule["kind"] != "training":
            problems.append(("accumulate.unit", "only training parts are counted in hours"))
        if accumulate["unit"] == "hours" and "part" in accumulate:
            problems.append(("accumulate.part", "parts counted in hours take no part value"))
    return problems


def _grade_checks(data: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    for key, table in data.get("grade_conversion", {}).items():
        words = _WORDS.get(GradeScale(key.split("@")[0]))
        linear, bands = "multiply" in table, "bands" in table
        if words is None and linear == bands:
            problems.append((f"grade_conversion.{key}", "a numeric scale needs multiply or bands"))
        if words is not None:
            for word in table.get("words", {}):
                if word not in words:
                    problems.append(
                        (f"grade_conversion.{key}.words.{word}", "not a grade of this scale")
                    )
    return problems


def _scope(raw: dict[str, Any]) -> Scope:
    if not any(key in raw for key in ("regions", "institutions", "agreements", "max_age_years")):
        return NO_SCOPE
    return Scope(
        regions=tuple(raw.get("regions", ())),
        institutions=tuple(raw.get("institutions", ())),
        agreements=tuple(raw.get("agreements", ())),
        max_age_years=raw.get("max_age_years"),
    )


def _accumulate(raw: dict[str, Any] | None) -> Accumulate | None:
    if raw is None:
        return None
    return Accumulate(
        fill_at=raw["fill_at"],
        hours=raw["unit"] == "hours",
        part=raw.get("part", Decimal(1)),
        combine=Combine(raw["combine"]),
        below=Below(raw["below"]),
        step=raw["step"],
    )


def _rule(raw: dict[str, Any]) -> Rule:
    targets = tuple(raw["targets"])
    kind = OutcomeKind(raw["kind"])
    scope, record_as = _scope(raw), raw.get("record_as")
    if kind is OutcomeKind.COURSE:
        sources = tuple(SourceMatch(s.get("code"), s.get("title")) for s in raw["sources"])
        return CourseRule(
            raw["id"],
            sources,
            targets,
            raw.get("min_grade"),
            scope=scope,
            min_hours_ratio=raw.get("min_hours_ratio"),
            min_credits_ratio=raw.get("min_credits_ratio"),
            grant=Grant(raw.get("grant", Grant.TARGET.value)),
            record_as=record_as,
        )
    if kind is OutcomeKind.CERTIFICATE:
        titles = raw.get("titles") or [raw["title"]]
        return CertificateRule(
            raw["id"],
            titles[0],
            raw.get("min_level"),
            targets,
            raw.get("credits"),
            ladder=raw.get("ladder", ONE_PLUS_X.id),
            scope=scope,
            accumulate=_accumulate(raw.get("accumulate")),
            record_as=record_as,
            also=tuple(titles[1:]),
        )
    if kind is OutcomeKind.TRAINING:
        return TrainingRule(
            raw["id"],
            raw.get("title_contains"),
            raw.get("hours_per_credit", Decimal(1)),
            raw.get("step", Decimal("0.5")),
            raw.get("max_credits", Decimal(1000)),
            targets,
            raw.get("min_grade"),
            scope=scope,
            accumulate=_accumulate(raw.get("accumulate")),
            record_as=record_as,
        )
    return AwardRule(
        raw["id"],
        CompetitionLevel(raw["min_level"]),
        tuple(AwardRank(r) for r in raw["ranks"]),
        raw["credits"],
        targets,
        scope=scope,
        competitions=tuple(raw.get("competitions", ())),
        tier=raw.get("tier"),
        tracks=tuple(raw.get("tracks", ())),
        team_credits=raw.get("team_credits"),
        accumulate=_accumulate(raw.get("accumulate")),
        record_as=record_as,
    )


def _ladders(data: dict[str, Any]) -> tuple[Ladder, ...]:
    declared = tuple(
        Ladder(
            key,
            tuple(value["steps"]),
            tuple(
                sorted(
                    (alias, step)
                    for step, aliases in value.get("aliases", {}).items()
                    for alias in aliases
                )
            ),
        )
        for key, value in sorted(data.get("ladders", {}).items())
    )
    return (ONE_PLUS_X, *declared)


def _competitions(data: dict[str, Any]) -> tuple[Competition, ...]:
    return tuple(
        Competition(
            key,
            tuple(normalise_title(name) for name in value["names"]),
            value.get("tier"),
            tuple(Track(t["name"], t["team"]) for t in value.get("tracks", [])),
        )
        for key, value in sorted(data.get("competitions", {}).items())
    )


def _gates(data: dict[str, Any]) -> tuple[Gate, ...]:
    return tuple(
        Gate(
            raw["id"],
            raw["title_zh"],
            raw["title_en"],
            OutcomeKind(raw["kind"]),
            raw["title"],
            raw.get("ladder", ONE_PLUS_X.id),
            raw.get("min_level"),
            raw.get("min_grade"),
            tuple(raw.get("rules", ())),
        )
        for raw in data.get("gates", [])
    )


def _category_caps(data: dict[str, Any], programme: Programme) -> tuple[CategoryCap, ...]:
    """Category caps and per-category residency; where both bind a category, the lower."""
    totals: dict[Category, Decimal] = {}
    for course in programme.courses:
        totals[course.category] = totals.get(course.category, Decimal(0)) + course.credits
    found: dict[Category, CategoryCap] = {}
    for key, raw in data.get("caps", {}).get("per_category", {}).items():
        category = Category(key)
        credits = raw.get("credits")
        if credits is None:
            credits = (totals.get(category, Decimal(0)) * raw["fraction"]).quantize(
                Decimal("0.1"), ROUND_FLOOR
            )
        found[category] = CategoryCap(category, credits, "per_category")
    for key, residency in data.get("residency", {}).get("per_category", {}).items():
        category = Category(key)
        credits = max(totals.get(category, Decimal(0)) - residency, Decimal(0))
        if category not in found or credits < found[category].credits:
            found[category] = CategoryCap(category, credits, "residency")
    return tuple(found[c] for c in sorted(found))


def _build(data: dict[str, Any]) -> Policy:
    programme_raw = data["programme"]
    courses = tuple(
        TargetCourse(
            c["code"],
            c["title_zh"],
            c["title_en"],
            c["credits"],
            Category(c["category"]),
            c.get("hours"),
        )
        for c in programme_raw["courses"]
    )
    programme = Programme(
        programme_raw["code"],
        programme_raw["title_zh"],
        programme_raw["title_en"],
        programme_raw["institution"],
        programme_raw["total_credits"],
        programme_raw["residency_credits"],
        courses,
    )
    caps_raw = data.get("caps", {})
    total = caps_raw.get("total_credits")
    if "total_fraction" in caps_raw:
        total = (programme.total_credits * caps_raw["total_fraction"]).quantize(Decimal("0.1"))
    total_name = "total_credits"
    last = data.get("residency", {}).get("last_credits")
    if last is not None and (total is None or programme.total_credits - last < total):
        total, total_name = programme.total_credits - last, "residency.last_credits"
    caps = Caps(
        total_credits=total,
        per_kind=tuple(
            sorted((OutcomeKind(k), v) for k, v in caps_raw.get("per_kind", {}).items())
        ),
        per_institution=caps_raw.get("per_institution"),
        per_academic_year=caps_raw.get("per_academic_year"),
        certificates=caps_raw.get("certificates"),
        per_category=_category_caps(data, programme),
        total_name=total_name,
    )
    tables = tuple(
        GradeTable(
            GradeScale(key.split("@")[0]),
            tuple(sorted(table.get("words", {}).items())),
            table.get("multiply"),
            table.get("add", Decimal(0)),
            tuple(sorted(((b[0], b[1]) for b in table.get("bands", [])), reverse=True)),
            key.split("@")[1] if "@" in key else None,
        )
        for key, table in sorted(data.get("grade_conversion", {}).items())
    )
    rounding = data.get("grade_rounding")
    return Policy(
        id=data["id"],
        version=data["version"],
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        pathway=data["pathway"],
        source_levels=tuple(Level(level) for level in data["source_levels"]),
        target_level=Level(data["target_level"]),
        effective_from=data["effective_from"],
        effective_until=data.get("effective_until"),
        programme=programme,
        rules=tuple(_rule(raw) for raw in data["rules"]),
        caps=caps,
        grade_tables=tables,
        min_grade=tuple(sorted((OutcomeKind(k), v) for k, v in data.get("min_grade", {}).items())),
        max_outcome_age_years=data.get("max_outcome_age_years"),
        regions=tuple(data.get("regions", ())),
        institutions=tuple(data.get("institutions", ())),
        catch_all=data.get("catch_all"),
        max_age_by_kind=tuple(
            sorted((OutcomeKind(k), v) for k, v in data.get("max_age_years", {}).items())
        ),
        ladders=_ladders(data),
        agreements=tuple(
            Agreement(key, tuple(v["institutions"]), v["starts"], v.get("ends"))
            for key, v in sorted(data.get("agreements", {}).items())
        ),
        competitions=_competitions(data),
        gates=_gates(data),
        rounding=None
        if rounding is None
        else Rounding(rounding["places"], RoundingMode(rounding["mode"])),
        record_as=data.get("record_as"),
        makeup=None
        if (makeup := data.get("makeup")) is None
        else Makeup(makeup["accepted"], makeup.get("grade"), makeup.get("record_as")),
        year_basis=YearBasis(caps_raw.get("academic_year", YearBasis.COMPLETED_ON.value)),
        applies_by=AppliesBy(data["applies_by"]),
        intake_starts=_month_day(data["intake_starts"]) or (9, 1)
        if "intake_starts" in data
        else (9, 1),
    )


def _plain(value: Any) -> Any:
    """TOML values as canonical-JSON-able data (dates as ISO text, floats refused)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


FORMATS = ("toml", "json")
_DECODE_LINE = re.compile(r"at line (\d+)")


def _decode(text: str, source: str, fmt: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The raw data of a policy text and the line of each key path in it."""
    if fmt == "json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(
                f"{source}: line {exc.lineno}: not valid JSON: {exc.msg}",
                problems=[
                    FieldProblem(f"{source}:", f"not valid JSON: {exc.msg}", line=exc.lineno)
                ],
            ) from None
        if not isinstance(raw, dict):
            raise _fail(source, [("", "a policy is a JSON object")])
        return raw, json_lines(text)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _DECODE_LINE.search(str(exc))
        line = int(found.group(1)) if found else None
        raise PolicyError(
            f"{source}: not valid TOML: {exc}",
            problems=[FieldProblem(f"{source}:", f"not valid TOML: {exc}", line=line)],
        ) from None
    return raw, toml_lines(text)


def parse_policy(text: str, source: str, fmt: str = "toml") -> Policy:
    """Parse and validate one policy's text (``fmt``: toml or json); ``source`` names it."""
    raw, lines = _decode(text, source, fmt)
    try:
        data: dict[str, Any] = PolicySchema().load(_plain(raw))
    except ValidationError as exc:
        raise _fail(source, _flatten(exc.messages), lines) from None
    problems = _cross_checks(data)
    if problems:
        raise _fail(source, problems, lines)
    digest = hashlib.sha256(canonical_json(_plain(raw))).hexdigest()
    return replace(_build(data), content_hash=digest)


def load_policy(path: Path) -> Policy:
    """Load one policy file."""
    return parse_policy(path.read_text(encoding="utf-8"), path.name)


@dataclass(frozen=True)
class LoadedFile:
    """A policy file that loaded, with its text (stored when it is published)."""

    path: Path
    policy: Policy
    text: str


@dataclass(frozen=True)
class Quarantined:
    """A policy file (or stored version) set aside: not loaded, with why."""

    source: str
    problems: tuple[FieldProblem, ...]


@dataclass(frozen=True)
class Folder:
    """What a policies folder holds: the good files and the quarantined ones."""

    loaded: tuple[LoadedFile, ...]
    quarantined: tuple[Quarantined, ...]


def policy_files(folder: Path) -> list[Path]:
    """The policy files of ``folder`` (sample cases live in ``*.cases.toml``), sorted."""
    return [p for p in sorted(folder.glob("*.toml")) if not p.name.endswith(".cases.toml")]


def load_folder(folder: Path) -> Folder:
    """Load every policy file of ``folder``.

    A bad file (or a second file of one version) is quarantined and the others load.
    """
    loaded: dict[tuple[str, str], LoadedFile] = {}
    quarantined: list[Quarantined] = []
    for path in policy_files(folder):
        try:
            text = path.read_text(encoding="utf-8")
            policy = parse_policy(text, path.name)
        except UnicodeDecodeError:
            quarantined.append(Quarantined(path.name, (FieldProblem(path.name, "not UTF-8"),)))
            continue
        except PolicyError as exc:
            quarantined.append(Quarantined(path.name, exc.problems))
            continue
        key = (policy.id, policy.version)
        if key in loaded:
            other = loaded[key].path.name
            quarantined.append(
                Quarantined(
                    path.name,
                    (
                        FieldProblem(
                            f"{path.name}:version",
                            f"{policy.id} version {policy.version} is also in {other}",
                        ),
                    ),
                )
            )
            continue
        loaded[key] = LoadedFile(path, policy, text)
    return Folder(tuple(loaded.values()), tuple(quarantined))


def newest(policies: Iterable[Policy]) -> dict[str, Policy]:
    """Each policy id's version with the latest ``effective_from``."""
    found: dict[str, Policy] = {}
    for policy in policies:
        known = found.get(policy.id)
        if known is None or known.effective_from < policy.effective_from:
            found[policy.id] = policy
    return found


def load_policies(folder: Path) -> dict[str, Policy]:
    """Every policy of ``folder``, the newest version of each id; any bad file is an error."""
    contents = load_folder(folder)
    if contents.quarantined:
        first = contents.quarantined[0]
        raise PolicyError(
            f"{first.source}: {'; '.join(p.reason for p in first.problems[:5])}",
            problems=first.problems,
        )
    return newest(item.policy for item in contents.loaded)


def policy_set_hash(policies: Iterable[Policy]) -> str:
    """The content hash of a set of policies (order-independent)."""
    listed = sorted((p.id, p.version, p.content_hash) for p in policies)
    return hashlib.sha256(canonical_json([list(item) for item in listed])).hexdigest()
