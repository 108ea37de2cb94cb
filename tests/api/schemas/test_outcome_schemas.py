"""The outcome schemas at the edge: dumping, loading through the core, batch-item shapes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from marshmallow import ValidationError

from creditbank.api.schemas.outcomes import ITEM_SCHEMAS, SCHEMAS, CourseSchema, dump_outcome
from creditbank.canonical import canonical_json
from creditbank.errors import InvalidInput
from creditbank.records.parsing import parse_outcome
from tests.records.outcome_items import (
    ALL,
    CERTIFICATE,
    COURSE,
    TODAY,
    TOMORROW,
    changed,
    courses,
    respelled_courses,
)

# --- dump: the same JSON shape back ---------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(ALL))
def test_dump_is_the_payload_and_loads_back(kind: str) -> None:
    outcome = parse_outcome(ALL[kind], today=TODAY)
    dumped = dump_outcome(outcome)
    assert dumped == outcome.to_payload()
    assert canonical_json(dumped) == canonical_json(outcome.to_payload())
    assert parse_outcome(dumped, today=TODAY) == outcome


def test_a_makeup_course_dumps_its_attempt_and_loads_back() -> None:
    outcome = parse_outcome(changed(COURSE, attempt="makeup"), today=TODAY)
    dumped = dump_outcome(outcome)
    assert dumped == outcome.to_payload()
    assert type(dumped["attempt"]) is str
    assert dumped["attempt"] == "makeup"
    assert parse_outcome(dumped, today=TODAY) == outcome


@pytest.mark.parametrize("kind", sorted(ALL))
def test_dump_writes_plain_strings_not_enums(kind: str) -> None:
    dumped = dump_outcome(parse_outcome(ALL[kind], today=TODAY))
    assert type(dumped["kind"]) is str
    if "level" in dumped and dumped["level"] is not None:
        assert type(dumped["level"]) is str
    assert json.loads(json.dumps(dumped)) == dumped


def test_dump_of_absent_optionals_is_null() -> None:
    item = changed(CERTIFICATE, certificate_type="other", level=None, expires_on=None)
    dumped = dump_outcome(parse_outcome(item, today=TODAY))
    assert dumped["level"] is None
    assert dumped["expires_on"] is None


# --- loading, through the core's parser, the marshmallow 4 way ------------------------------


def test_today_is_given_to_the_schema() -> None:
    item = changed(COURSE, completed_on=TOMORROW)
    with pytest.raises(ValidationError) as refused:
        CourseSchema(today=TODAY).load(item)
    assert list(refused.value.messages) == ["completed_on"]
    tomorrow = TODAY + timedelta(days=1)
    assert CourseSchema(today=tomorrow).load(item) == parse_outcome(item, today=tomorrow)
    assert CourseSchema(today=TODAY).today == TODAY


def test_a_schema_loads_its_own_kind_only() -> None:
    with pytest.raises(ValidationError) as refused:
        CourseSchema(today=TODAY).load(CERTIFICATE)
    assert refused.value.messages == {"kind": ["Must be equal to course."]}


def test_schema_problems_are_the_parsers() -> None:
    item = changed(COURSE, hours=-1, grade={"scale": "percent", "value": "101"}, colour="red")
    with pytest.raises(ValidationError) as refused:
        CourseSchema(today=TODAY).load(item)
    with pytest.raises(InvalidInput) as parsed:
        parse_outcome(item, today=TODAY)
    assert refused.value.messages == {p.field: [p.reason] for p in parsed.value.problems}


def test_a_schema_without_today_will_not_load() -> None:
    with pytest.raises(TypeError, match="today"):
        CourseSchema().load(COURSE)


def test_item_schemas_document_the_batch_fields() -> None:
    for kind, item in ITEM_SCHEMAS.items():
        declared = item().fields
        assert {"learner_id", "external_id"} <= set(declared)
        assert set(SCHEMAS[kind]().fields) < set(declared)


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(courses())
def test_a_valid_course_survives_load_payload_dump_load(item: dict[str, Any]) -> None:
    outcome = parse_outcome(item, today=TODAY)
    payload = outcome.to_payload()
    assert payload == item  # canonical input comes back byte for byte
    dumped = dump_outcome(outcome)
    assert dumped == payload
    for form in (payload, dumped, json.loads(canonical_json(payload))):
        again = parse_outcome(form, today=TODAY)
        assert again == outcome
        assert canonical_json(again.to_payload()) == canonical_json(payload)


@settings(max_examples=200, deadline=None)
@given(respelled_courses())
def test_every_spelling_of_a_course_commits_the_same_bytes(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    canonical, other = pair
    first = parse_outcome(canonical, today=TODAY)
    second = parse_outcome(other, today=TODAY)
    assert first == second
    assert canonical_json(first.to_payload()) == canonical_json(second.to_payload())
    assert dump_outcome(second) == canonical
