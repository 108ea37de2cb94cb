"""Loading policies from TOML, validated against a schema: errors name the file and key path.

A policy's content hash is the SHA-256 of the canonical JSON of its parsed data, so the same
rules hash alike however the file is formatted; a committed evaluation records it.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from creditbank.canonical import canonical_json
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.grades import ECTS_GRADES, FIVE_LEVELS, LETTERS, TWO_LEVELS, GradeScale
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CompetitionLevel,
    Level,
    OutcomeKind,
)
from creditbank.rules.policy import (
    AwardRule,
    Caps,
    Category,
    CertificateRule,
    CourseRule,
    GradeTable,
    Policy,
    Programme,
    Rule,
    SourceMatch,
    TargetCourse,
    TrainingRule,
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


class ProgrammeSchema(_Strict):
    """The target programme."""

    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(load_default="")
    institution = fields.String(required=True)
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


class RuleSchema(_Strict):
    """One rule; which keys it takes depends on its kind."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    kind = _choice(OutcomeKind, required=True)
    targets = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    sources = fields.List(fields.Nested(SourceSchema), validate=validate.Length(min=1))
    min_grade = _number()
    title = fields.String()
    min_level = fields.String()
    credits = _number()
    title_contains = fields.String()
    hours_per_credit = fields.Decimal(validate=validate.Range(min=1))
    step = fields.Decimal(validate=validate.Range(min=Decimal("0.1")))
    max_credits = _number()
    ranks = fields.List(_choice(AwardRank))

    # Which keys each kind of rule needs and allows.
    NEEDS: ClassVar[dict[str, set[str]]] = {
        "course": {"sources"},
        "certificate": {"title"},
        "training": {"hours_per_credit"},
        "award": {"min_level", "ranks", "credits"},
    }
    ALLOWS: ClassVar[dict[str, set[str]]] = {
        "course": {"sources", "min_grade"},
        "certificate": {"title", "min_level", "credits"},
        "training": {"title_contains", "hours_per_credit", "step", "max_credits", "min_grade"},
        "award": {"min_level", "ranks", "credits"},
    }

    @validates_schema
    def _by_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data["kind"]
        given = set(data) - {"id", "kind", "targets"}
        for key in sorted(given - self.ALLOWS[kind]):
            raise ValidationError(f"not allowed in a {kind} rule", key)
        for key in sorted(self.NEEDS[kind] - given):
            raise ValidationError(f"required in a {kind} rule", key)
        levels = CertificateLevel if kind == "certificate" else CompetitionLevel
        if "min_level" in data and data["min_level"] not in {v.value for v in levels}:
            allowed = ", ".join(v.value for v in levels)
            raise ValidationError(f"must be one of {allowed}", "min_level")


class GradeTableSchema(_Strict):
    """A scale's conversion to the 0–100 comparison scale."""

    words = fields.Dict(keys=fields.String(), values=_number())
    multiply = fields.Decimal()
    add = fields.Decimal(load_default=Decimal(0))


class CapsSchema(_Strict):
    """Caps on what an evaluation recognises."""

    total_credits = _number()
    total_fraction = fields.Decimal(validate=validate.Range(min=0, max=1))
    per_kind = fields.Dict(keys=_choice(OutcomeKind), values=_number())
    per_institution = _number()
    per_academic_year = _number()
    certificates = fields.Integer(strict=True, validate=validate.Range(min=0))


class PolicySchema(_Strict):
    """A whole policy file."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,79}$"))
    version = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    pathway = fields.String(required=True)
    source_levels = fields.List(_choice(Level), required=True, validate=validate.Length(min=1))
    target_level = _choice(Level, required=True)
    effective_from = fields.Date(required=True)
    effective_until = fields.Date()
    max_outcome_age_years = fields.Integer(strict=True, validate=validate.Range(min=1, max=50))
    regions = fields.List(fields.String())
    institutions = fields.List(fields.String())
    catch_all = fields.String()
    programme = fields.Nested(ProgrammeSchema, required=True)
    grade_conversion = fields.Dict(keys=_choice(GradeScale), values=fields.Nested(GradeTableSchema))
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


def _fail(source: str, problems: list[tuple[str, str]]) -> PolicyError:
    listed = "; ".join(f"{path}: {reason}" for path, reason in problems[:5])
    return PolicyError(
        f"{source}: {listed}",
        problems=[FieldProblem(f"{source}:{path}", reason) for path, reason in problems],
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
    for position, rule in enumerate(data["rules"]):
        for target in rule["targets"]:
            if target not in known:
                problems.append((f"rules.{position}.targets", f"unknown course {target!r}"))
    if "catch_all" in data and data["catch_all"] not in known:
        problems.append(("catch_all", f"unknown course {data['catch_all']!r}"))
    for scale, table in data.get("grade_conversion", {}).items():
        words = _WORDS.get(GradeScale(scale))
        if words is None and "multiply" not in table:
            problems.append((f"grade_conversion.{scale}", "a numeric scale needs multiply"))
        if words is not None:
            for word in table.get("words", {}):
                if word not in words:
                    problems.append(
                        (f"grade_conversion.{scale}.words.{word}", "not a grade of this scale")
                    )
    caps = data.get("caps", {})
    if "total_credits" in caps and "total_fraction" in caps:
        problems.append(("caps", "give total_credits or total_fraction, not both"))
    return problems


def _rule(raw: dict[str, Any]) -> Rule:
    targets = tuple(raw["targets"])
    kind = OutcomeKind(raw["kind"])
    if kind is OutcomeKind.COURSE:
        sources = tuple(SourceMatch(s.get("code"), s.get("title")) for s in raw["sources"])
        return CourseRule(raw["id"], sources, targets, raw.get("min_grade"))
    if kind is OutcomeKind.CERTIFICATE:
        level = raw.get("min_level")
        return CertificateRule(
            raw["id"],
            raw["title"],
            None if level is None else CertificateLevel(level),
            targets,
            raw.get("credits"),
        )
    if kind is OutcomeKind.TRAINING:
        return TrainingRule(
            raw["id"],
            raw.get("title_contains"),
            raw["hours_per_credit"],
            raw.get("step", Decimal("0.5")),
            raw.get("max_credits", Decimal(1000)),
            targets,
            raw.get("min_grade"),
        )
    return AwardRule(
        raw["id"],
        CompetitionLevel(raw["min_level"]),
        tuple(AwardRank(r) for r in raw["ranks"]),
        raw["credits"],
        targets,
    )


def _build(data: dict[str, Any]) -> Policy:
    programme_raw = data["programme"]
    courses = tuple(
        TargetCourse(c["code"], c["title_zh"], c["title_en"], c["credits"], Category(c["category"]))
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
    caps = Caps(
        total_credits=total,
        per_kind=tuple(
            sorted((OutcomeKind(k), v) for k, v in caps_raw.get("per_kind", {}).items())
        ),
        per_institution=caps_raw.get("per_institution"),
        per_academic_year=caps_raw.get("per_academic_year"),
        certificates=caps_raw.get("certificates"),
    )
    tables = tuple(
        GradeTable(
            GradeScale(scale),
            tuple(sorted(table.get("words", {}).items())),
            table.get("multiply"),
            table.get("add", Decimal(0)),
        )
        for scale, table in sorted(data.get("grade_conversion", {}).items())
    )
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


def parse_policy(text: str, source: str) -> Policy:
    """Parse and validate one policy file's text; ``source`` names it in errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, [("", f"not valid TOML: {exc}")]) from None
    try:
        data: dict[str, Any] = PolicySchema().load(_plain(raw))
    except ValidationError as exc:
        raise _fail(source, _flatten(exc.messages)) from None
    problems = _cross_checks(data)
    if problems:
        raise _fail(source, problems)
    digest = hashlib.sha256(canonical_json(_plain(raw))).hexdigest()
    return replace(_build(data), content_hash=digest)


def load_policy(path: Path) -> Policy:
    """Load one policy file."""
    return parse_policy(path.read_text(encoding="utf-8"), path.name)


def load_policies(folder: Path) -> dict[str, Policy]:
    """Load every ``*.toml`` policy of ``folder`` (test cases live in ``*.cases.toml``)."""
    policies: dict[str, Policy] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.endswith(".cases.toml"):
            continue
        policy = load_policy(path)
        if policy.id in policies:
            raise _fail(path.name, [("id", f"{policy.id!r} is also defined in another file")])
        policies[policy.id] = policy
    return policies


def policy_set_hash(policies: Iterable[Policy]) -> str:
    """The content hash of a set of policies (order-independent)."""
    listed = sorted((p.id, p.version, p.content_hash) for p in policies)
    return hashlib.sha256(canonical_json([list(item) for item in listed])).hexdigest()
