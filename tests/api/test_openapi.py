"""The OpenAPI document: generated from the schemas, served with its docs page, and honoured.

Schemathesis generates requests from the document (anonymous, as a learner, and with an
institution's API key) and checks that no answer is a 5xx and every answer fits the document.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from creditbank.wiring import Services
from tests.api.world import build_world


def test_document_lists_every_api_endpoint(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {path for path in document["paths"] if path.startswith("/api/v1/")}
    routes = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes == documented
    batch = document["paths"]["/api/v1/records"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RecordBatchIn"
    }
    course = document["components"]["schemas"]["CourseOutcome"]
    assert {"course_code", "credits", "grade", "term"} <= set(course["properties"])


def test_docs_page_is_served_locally(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"http" not in page.data.replace(b"http-equiv", b"")
    with client.get("/api/docs/static/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.data
    assert client.get("/api/docs/static/docs-init.js").data.startswith(b"window.ui")


# A schema-valid request may still be refused on meaning (a wrong 身份证 check digit, an
# unknown learner): the document cannot say everything, so acceptance is not checked.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def test_generated_requests_get_no_5xx_and_fit_the_document(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    failures = _run_generated(app, client, services, GenerationMode.POSITIVE, CHECKS, 12)
    assert not failures, "\n\n".join(failures)


def test_requests_that_break_the_document_get_no_5xx(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    # Wrong types, missing fields, out-of-range numbers and odd strings in the body, the path
    # and the query: each must be refused with a 4xx, never a 5xx.
    failures = _run_generated(
        app, client, services, GenerationMode.NEGATIVE, [checks.not_a_server_error], 8
    )
    assert not failures, "\n\n".join(failures)


def _run_generated(
    app: Flask,
    client: FlaskClient,
    services: Services,
    mode: GenerationMode,
    run_checks: list[Any],
    examples: int,
) -> list[str]:
    """Run generated requests against every operation as each caller; the failures found."""
    world = build_world(client, services)
    callers = [
        {},
        *({"Authorization": f"Bearer {s}"} for s in (world.keys["posterA"], world.tokens["li"])),
    ]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            for headers in callers:
                case.call_and_validate(headers=headers, checks=run_checks)

        try:
            run()
        except Unsatisfiable:
            # Negative mode has nothing to break where every value fits (no parameters, or a
            # free string in the path); positive mode must always find requests.
            if mode is not GenerationMode.NEGATIVE:
                failures.append(f"{operation.label}: no request could be generated")
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    return failures
