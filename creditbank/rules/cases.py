"""A policy's sample cases (``policies/<id>.cases.toml``): learners and expected decisions.

Each case lists outcomes in the API's JSON shape (plus ``id``, ``institution`` and
``region``), the evaluation date, registrars' exceptions if any, and what must come out: the
credits recognised, which rule fills each filled course (exactly those), the credits of
chosen courses, how chosen courses are recorded, and for chosen outcomes a reason code they
must be refused with. ``first_match_credits`` records what a first-match reading would give.

A cases file is checked against a schema of its own (:class:`CasesSchema`): unknown keys,
missing keys and malformed values are errors naming the file and the key path, as policies'
are.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.parsing import parse_outcome
from creditbank.rules.candidates import SourceOutcome
from creditbank.rules.evaluate import Evaluation, Exception_, evaluate, exception_from_json
from creditbank.rules.policy import AppliesBy, Policy
from creditbank.rules.versions import intake_start

_CREDITS = validate.Regexp(r"^[0-9]{1,3}(\.[0-9])?$", error="credits like 4 or 2.5, as text")


class CasesError(InvalidInput):
    """A cases file is not valid; the problems name the file and the key path."""

    slug = "cases-invalid"
    title = "Invalid policy cases"


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ExceptionSchema(_Strict):
    """A registrar's exception in a case (as recorded in an evaluation)."""

    type = fields.String(
        required=True, validate=validate.OneOf(["force", "waive", "exclude", "cap", "credits"])
    )
    record = fields.String()
    target = fields.String()
    cap = fields.String()
    credits = fields.String(validate=_CREDITS)
    by = fields.String(required=True, validate=validate.Length(min=1))
    why = fields.String(required=True, validate=validate.Length(min=1))
    at = fields.String()


class OutcomeSchema(Schema):
    """A sample outcome: where it comes from; its own fields are checked by the record parser."""

    class Meta:
        unknown = "include"

    id = fields.String(required=True, validate=validate.Length(min=1))
    institution = fields.String(required=True)
    region = fields.String(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(["course", "certificate", "training", "award"])
    )


class CaseSchema(_Strict):
    """One sample learner and what must come out."""

    name = fields.String(required=True, validate=validate.Length(min=1))
    on = fields.Date(required=True)
    entered_on = fields.Date()  # for a policy applying by entry date
    intake = fields.Integer(strict=True, validate=validate.Range(min=1990, max=2200))
    recognised_credits = fields.String(required=True, validate=_CREDITS)
    first_match_credits = fields.String(validate=_CREDITS)
    filled = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    unused = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    credits = fields.Dict(keys=fields.String(), values=fields.String(validate=_CREDITS))
    recorded = fields.Dict(keys=fields.String(), values=fields.String())
    exceptions = fields.List(fields.Nested(ExceptionSchema), load_default=list)
    outcomes = fields.List(fields.Nested(OutcomeSchema), load_default=list)


class CasesSchema(_Strict):
    """A whole cases file: one or more ``[[case]]``."""

    case = fields.List(fields.Nested(CaseSchema), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class PolicyCase:
    """One sample learner and the expected evaluation."""

    name: str
    on: date
    sources: tuple[SourceOutcome, ...]
    recognised_credits: Decimal
    filled: dict[str, str]
    unused: dict[str, str]
    first_match_credits: Decimal | None
    credits: dict[str, Decimal]
    recorded: dict[str, str]
    exceptions: tuple[Exception_, ...] = ()
    entered_on: date | None = None
    intake: int | None = None


def _source(raw: dict[str, Any], on: date) -> SourceOutcome:
    item = dict(raw)
    record_id, institution, region = item.pop("id"), item.pop("institution"), item.pop("region")
    return SourceOutcome(record_id, institution, region, parse_outcome(item, today=on))


def _plain(value: Any) -> Any:
    """TOML dates as ISO text, so the schema reads them as the API's JSON would carry them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _flatten(messages: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            out += _flatten(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(messages, list):
        return [pair for item in messages for pair in _flatten(item, path)]
    return [(path, str(messages))]


def _fail(source: str, problems: list[tuple[str, str]]) -> CasesError:
    listed = "; ".join(f"{path}: {reason}" for path, reason in problems[:5])
    return CasesError(
        f"{source}: {listed}",
        problems=[FieldProblem(f"{source}:{path}", reason) for path, reason in problems],
    )


def parse_cases(text: str, source: str) -> list[PolicyCase]:
    """Parse and validate a cases file's text; ``source`` names it in errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, [("", f"not valid TOML: {exc}")]) from None
    try:
        data = CasesSchema().load(_plain(raw))
    except ValidationError as exc:
        raise _fail(source, _flatten(exc.messages)) from None
    cases = []
    for index, case in enumerate(data["case"]):
        on: date = case["on"]
        sources = []
        for position, item in enumerate(case["outcomes"]):
            try:
                sources.append(_source(item, on))
            except InvalidInput as exc:
                where = f"case.{index}.outcomes.{position}"
                raise _fail(
                    source, [(f"{where}.{p.field}", p.reason) for p in exc.problems]
                ) from None
        first = case.get("first_match_credits")
        cases.append(
            PolicyCase(
                name=case["name"],
                on=on,
                sources=tuple(sources),
                recognised_credits=Decimal(case["recognised_credits"]),
                filled=dict(case["filled"]),
                unused=dict(case["unused"]),
                first_match_credits=None if first is None else Decimal(first),
                credits={k: Decimal(v) for k, v in case.get("credits", {}).items()},
                recorded=dict(case.get("recorded", {})),
                exceptions=tuple(exception_from_json(e) for e in case["exceptions"]),
                entered_on=case.get("entered_on"),
                intake=case.get("intake"),
            )
        )
    return cases


def load_cases(path: Path) -> list[PolicyCase]:
    """Read and validate a cases file."""
    return parse_cases(path.read_text(encoding="utf-8"), path.name)


def applies_on(policy: Policy, case: PolicyCase) -> date | None:
    """The date a case's learner is placed by (entry date or intake), as the policy states."""
    if policy.applies_by is AppliesBy.ENTRY_DATE and case.entered_on is not None:
        return case.entered_on
    if policy.applies_by is AppliesBy.INTAKE and case.intake is not None:
        return intake_start(policy, case.intake)
    return None


def run_case(policy: Policy, case: PolicyCase) -> Evaluation:
    """Evaluate a case's learner under ``policy``."""
    return evaluate(policy, case.sources, case.on, case.exceptions, applies_on(policy, case))


def case_mismatches(policy: Policy, case: PolicyCase) -> list[str]:
    """How the evaluation of a case differs from what the case states (empty: it holds)."""
    result = run_case(policy, case).body
    found: list[str] = []
    got = Decimal(result["recognised_credits"])
    if got != case.recognised_credits:
        found.append(f"recognised_credits: expected {case.recognised_credits}, got {got}")
    filled = {
        course["code"]: course["filled_by"][0]["rule"]
        for course in result["courses"]
        if course["filled_by"]
    }
    if filled != case.filled:
        found.append(f"filled: expected {case.filled}, got {filled}")
    codes = {o["record"]: {r["code"] for r in o["reasons"]} for o in result["outcomes"]}
    for record, code in case.unused.items():
        if code not in codes.get(record, set()):
            found.append(f"unused.{record}: expected {code}, got {sorted(codes.get(record, ()))}")
    by_code = {course["code"]: course for course in result["courses"]}
    for code, credits in case.credits.items():
        shown = by_code.get(code, {}).get("recognised_credits")
        if shown is None or Decimal(shown) != credits:
            found.append(f"credits.{code}: expected {credits}, got {shown}")
    for code, grade in case.recorded.items():
        recorded = (by_code.get(code, {}).get("recorded_as") or {}).get("grade")
        if recorded != grade:
            found.append(f"recorded.{code}: expected {grade}, got {recorded}")
    return found
