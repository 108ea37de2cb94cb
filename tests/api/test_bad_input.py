"""Bad input gets a 4xx problem document and changes nothing, on SQLite and PostgreSQL.

Three policies are checked through HTTP: every JSON body is read by the strict reader, every
name and free text follows the text policy, and every number in a path, a query or a
credential is ASCII digits within range. The verifier's input path is fuzzed.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.wiring import Services
from tests.api.world import World, bearer, build_world, course, resident_id

PROBLEM = "application/problem+json"


@pytest.fixture
def world(engine_name: str, client: FlaskClient, services: Services) -> World:
    """The small bank, on the engine of the test's parameter, with one posted record."""
    world = build_world(client, services)
    posted = world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": world.learners["li"], **course()}]},
        **{"Idempotency-Key": "bad-input"},
    )
    assert posted.status_code == 201, posted.get_json()
    world.record = posted.get_json()["records"][0]["id"]  # type: ignore[attr-defined]
    return world


def footprint(world: World) -> tuple[int, int, Any]:
    """What a refused request must leave as it was: the log, the API keys, the transcripts."""
    clients = world.get("/api/v1/institutions/CQ-GZ-001/clients", "operator").get_json()
    transcripts = world.get("/api/v1/transcripts", "li").get_json()
    return world.size(), len(clients["clients"]), transcripts


def refused(answer: Any, status: int = 400, slug: str | None = None) -> dict[str, Any]:
    """Assert a problem document with ``status`` (and type ``slug``); return it."""
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == PROBLEM
    problem: dict[str, Any] = answer.get_json()
    assert problem["status"] == status
    if slug is not None:
        assert problem["type"] == f"urn:creditbank:problem:{slug}"
    return problem


def send(world: World, method: str, path: str, who: str | None, body: bytes) -> Any:
    headers = {**bearer(world.secret(who)), "Idempotency-Key": "bad-body"}
    return world.client.open(
        path, method=method, data=body, content_type="application/json", headers=headers
    )


# --- one JSON reader for every body ------------------------------------------------------

HAZARDS = {
    "deep": b"[" * 1000 + b"]" * 1000,
    "deep-object": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "big-integer": b'{"records": [{"hours": ' + b"9" * 5000 + b"}]}",
    "duplicate-key": b'{"name": "a", "name": "b"}',
    "lone-surrogate": b'{"name": "\\ud800"}',
    "nan": b'{"validity_days": NaN}',
}


def json_endpoints(world: World) -> list[tuple[str, str, str | None]]:
    """Every operation that reads a JSON body, with a caller allowed to reach the reading."""
    record = world.record  # type: ignore[attr-defined]
    return [
        ("POST", "/api/v1/institutions", "operator"),
        ("PATCH", "/api/v1/institutions/CQ-GZ-001", "operator"),
        ("POST", "/api/v1/institutions/CQ-GZ-001/clients", "operator"),
        ("POST", "/api/v1/institutions/CQ-GZ-001/keys", "adminA"),
        ("POST", "/api/v1/learners", "posterA"),
        ("POST", "/api/v1/learners/bulk", "posterA"),
        ("POST", "/api/v1/learners/activate", None),
        ("POST", "/api/v1/learners/me/consents", "li"),
        ("POST", "/api/v1/records", "posterA"),
        ("POST", f"/api/v1/records/{record}/corrections", "posterA"),
        ("POST", f"/api/v1/records/{record}/revocation", "posterA"),
        ("POST", "/api/v1/sessions", None),
        ("POST", "/api/v1/evaluations/what-if", "registrarA"),
        ("POST", "/api/v1/evaluations", "registrarA"),
        ("POST", "/api/v1/cohorts", "registrarA"),
        ("POST", "/api/v1/transcripts", "li"),
        ("POST", "/api/v1/verify", None),
    ]


@pytest.mark.parametrize("hazard", sorted(HAZARDS))
def test_every_json_body_goes_through_the_strict_reader(world: World, hazard: str) -> None:
    before = footprint(world)
    for method, path, who in json_endpoints(world):
        problem = refused(send(world, method, path, who, HAZARDS[hazard]), slug="invalid-json")
        assert problem["errors"][0]["field"] == "body", (path, problem)
        assert problem["path"].startswith("$"), (path, problem)
    assert footprint(world) == before


def test_reader_messages_name_the_problem_and_where(world: World) -> None:
    problem = refused(send(world, "POST", "/api/v1/learners", "posterA", HAZARDS["duplicate-key"]))
    assert problem["detail"] == "duplicate key 'name' at $.name"
    problem = refused(send(world, "POST", "/api/v1/records", "posterA", HAZARDS["big-integer"]))
    assert problem["path"] == "$.records[0].hours"
    assert "outside -2^63..2^63-1" in problem["detail"]
    problem = refused(send(world, "POST", "/api/v1/verify", None, HAZARDS["deep"]))
    assert "more than 64 levels" in problem["detail"]


def test_an_oversized_body_is_refused_before_it_is_read(world: World) -> None:
    limit = world.client.application.config["MAX_CONTENT_LENGTH"]
    body = b'{"name": "' + b"a" * limit + b'"}'
    refused(send(world, "POST", "/api/v1/learners", "posterA", body), status=413)


def _transcript(world: World) -> dict[str, Any]:
    issued = world.post("/api/v1/transcripts", "li", {"validity_days": 60})
    assert issued.status_code == 201, issued.get_json()
    credential: dict[str, Any] = json.loads(issued.data)
    return credential


def test_a_forged_first_subject_never_verifies(world: World) -> None:
    credential = _transcript(world)
    genuine = json.dumps(credential, ensure_ascii=False)
    assert world.client.post("/api/v1/verify", json=credential).get_json()["valid"] is True
    forged = copy.deepcopy(credential["credentialSubject"])
    forged["name"] = "Mallory"
    # Python's json would keep the last (genuine) subject; another reader the first (forged).
    body = '{"credentialSubject": ' + json.dumps(forged) + ", " + genuine[1:]
    problem = refused(send(world, "POST", "/api/v1/verify", None, body.encode("utf-8")))
    assert problem["detail"] == "duplicate key 'credentialSubject' at $.credentialSubject"


# --- one text policy for names and free text ---------------------------------------------

BAD_NAMES = {
    "nul": "李\x00明",
    "newline": "李\n明",
    "blank": " \u3000 ",
    "bidi-override": "李明\u202egnaw",
    "bidi-isolate": "李\u2066明\u2069",
    "zero-width": "李\u200b明",
    "too-long": "李" * 501,  # over every limit: names 100-200, labels 200, reasons 500
}


def _learner(name: str, sequence: str = "777") -> dict[str, Any]:
    return {
        "name": name,
        "document": {"kind": "resident_id", "number": resident_id(sequence=sequence)},
    }


@pytest.mark.parametrize("kind", sorted(BAD_NAMES))
def test_bad_names_and_free_text_are_refused_and_nothing_is_written(
    world: World, kind: str
) -> None:
    bad = BAD_NAMES[kind]
    record = world.record  # type: ignore[attr-defined]
    transcript_id = _transcript(world)["id"].removeprefix("urn:uuid:")
    before = footprint(world)
    names = [
        world.post("/api/v1/learners", "posterA", _learner(bad)),
        world.post("/api/v1/learners/bulk", "posterA", {"learners": [_learner(bad)]}),
        world.post(
            "/api/v1/institutions",
            "operator",
            {
                "code": "CQ-ZZ-009",
                "name_zh": bad,
                "name_en": "A School",
                "kind": "zhongzhi_school",
                "level": "zhongzhi",
                "region": "重庆",
            },
        ),
    ]
    # Zero-width characters are refused in names only (a title may hold an emoji sequence).
    free_text = (
        []
        if kind == "zero-width"
        else [
            world.post(f"/api/v1/records/{record}/revocation", "posterA", {"reason": bad}),
            world.post(f"/api/v1/transcripts/{transcript_id}/revocation", "li", {"reason": bad}),
            world.post(
                "/api/v1/institutions/CQ-GZ-001/clients",
                "operator",
                {"role": "poster", "label": bad},
            ),
            world.post(
                "/api/v1/records",
                "posterA",
                {"records": [{"learner_id": world.learners["li"], **course(title_zh=bad)}]},
                **{"Idempotency-Key": f"bad-title-{kind}"},
            ),
        ]
    )
    attempts = names + free_text
    for answer in attempts:
        refused(answer)
    assert footprint(world) == before


def test_a_lone_surrogate_never_reaches_an_account(world: World) -> None:
    before = footprint(world)
    for escaped in ('"\\ud800"', '"\\udfff"', '"李\\ud83d"'):
        body = json.dumps(_learner("placeholder")).replace('"placeholder"', escaped)
        refused(send(world, "POST", "/api/v1/learners", "posterA", body.encode()))
    assert footprint(world) == before
    assert world.get("/api/v1/learners/me", "li").status_code == 200


def test_names_are_stored_in_nfc(world: World) -> None:
    decomposed = unicodedata.normalize("NFD", "José Núñez")
    opened = world.post("/api/v1/learners", "posterA", _learner(decomposed, "778"))
    assert opened.status_code == 201, opened.get_json()
    number = resident_id(sequence="778")
    activation = opened.get_json()["activation_code"]
    activated = world.post(
        "/api/v1/learners/activate",
        None,
        {
            "document": {"kind": "resident_id", "number": number},
            "activation_code": activation,
            "password": "a-long-enough-password-1",
        },
    )
    assert activated.status_code == 200, activated.get_json()
    signed_in = world.post(
        "/api/v1/sessions",
        None,
        {
            "document": {"kind": "resident_id", "number": number},
            "password": "a-long-enough-password-1",
        },
    )
    token = signed_in.get_json()["token"]
    me = world.client.get("/api/v1/learners/me", headers=bearer(token)).get_json()
    assert me["name"] == "José Núñez" == unicodedata.normalize("NFC", decomposed)


# --- numbers: ASCII digits within range --------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "٣", "1" * 5000, "+1", "01", "-1", "1_0"])
def test_numeric_parameters_are_ascii_digits_in_range(world: World, raw: str) -> None:
    before = footprint(world)
    refused(world.client.get(f"/api/v1/status-lists/{raw}"), status=404, slug="not-found")
    refused(world.client.get(f"/api/v1/log/entries?start={raw}&end=1"), slug="invalid-parameter")
    refused(world.client.post(f"/api/v1/verify?require_witnesses={raw}", json={}))
    assert footprint(world) == before


@pytest.mark.parametrize("index", ["²", "٣", "9" * 5000, "99999999999999999999", "-1", 7])
def test_a_bad_status_index_in_a_credential_is_a_verdict(world: World, index: Any) -> None:
    credential = _transcript(world)
    credential["credentialStatus"]["statusListIndex"] = index
    answer = world.client.post("/api/v1/verify", json=credential)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    report = answer.get_json()
    assert report["valid"] is False
    assert any(check["outcome"] != "pass" for check in report["checks"])


# --- the verifier's input path, fuzzed ----------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += _paths(item, (*path, position))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_the_verifier_answers_any_document_with_a_verdict_or_a_400(world: World) -> None:
    credential = _transcript(world)
    paths = _paths(credential)

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.one_of(
            JSON_VALUES,
            st.builds(
                lambda at, value: _replaced(credential, paths[at % len(paths)], value),
                st.integers(min_value=0),
                JSON_VALUES,
            ),
        )
    )
    def check(document: Any) -> None:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
        answer = send(world, "POST", "/api/v1/verify", None, body)
        assert answer.status_code in (200, 400), answer.get_data(as_text=True)[:500]
        if answer.status_code == 200:
            # No changed document verifies (an unchanged one does).
            assert not answer.get_json()["valid"] or document == credential
        else:
            refused(answer)

    check()
