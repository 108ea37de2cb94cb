"""Every request: its id echoed, the rate limit (429) and body limit (413), and /metrics."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient

from creditbank.app import create_app
from creditbank.config import Settings
from creditbank.operations.settings import OperationsSettings
from creditbank.wiring import EXTENSION, Services
from tests.api.world import bearer, build_world


def _app(settings: Settings, services: Services, operations: OperationsSettings) -> Flask:
    app = create_app(
        {
            "instance_path": settings.instance_path,
            "database_url": settings.database_url,
            "log_origin": settings.log_origin,
            "operations": operations,
        }
    )
    app.config["TESTING"] = True
    app.extensions[EXTENSION].set(services)
    return app


def test_request_id_is_echoed_or_made(client: FlaskClient) -> None:
    given = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.42"})
    assert given.headers["X-Request-Id"] == "lb-7f3a.42"
    made = client.get("/healthz")
    assert len(made.headers["X-Request-Id"]) == 32
    # A malformed id is replaced, not echoed (it would end up in logs).
    assert client.get("/healthz", headers={"X-Request-Id": "a b<c>"}).headers[
        "X-Request-Id"
    ] not in {"a b<c>"}
    problem = client.get("/api/v1/records/nope", headers={"X-Request-Id": "req-1"})
    assert problem.status_code == 401 and problem.get_json()["request_id"] == "req-1"


def test_rate_limit_answers_429_with_retry_after(
    client: FlaskClient, settings: Settings, services: Services
) -> None:
    world = build_world(client, services)  # through an unlimited application
    app = _app(
        settings,
        services,
        OperationsSettings(rate_limit_per_second=0.01, rate_limit_burst=3),
    )
    client = app.test_client()
    key = bearer(world.keys["posterA"])
    answers = [client.get("/api/v1/institutions", headers=key) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    limited = answers[3]
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    body = limited.get_json()
    assert body["type"] == "urn:creditbank:problem:rate-limited"
    assert body["retry_after"] == int(limited.headers["Retry-After"])
    # Another key has its own bucket; health checks are never limited.
    assert (
        client.get("/api/v1/institutions", headers=bearer(world.keys["posterB"])).status_code == 200
    )
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


def test_body_limit_answers_413_problem(settings: Settings, services: Services) -> None:
    app = _app(settings, services, OperationsSettings(max_body_bytes=1000))
    client = app.test_client()
    answer = client.post(
        "/api/v1/records", data=b"{" + b" " * 2000 + b"}", content_type="application/json"
    )
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["type"] == "urn:creditbank:problem:payload-too-large"
    assert "1000-byte limit" in body["detail"]


def test_metrics_expose_request_counters(client: FlaskClient, services: Services) -> None:
    client.get("/healthz")
    client.get("/api/v1/log/checkpoint")
    text = client.get("/metrics").get_data(as_text=True)
    ours = "\n".join(line for line in text.splitlines() if "healthz" in line or "_log_" in line)
    assert (
        'creditbank_http_requests_total{endpoint="/healthz",method="GET",status="200"}' in text
    ), ours
    assert "creditbank_http_request_duration_seconds_bucket" in text
    assert "creditbank_log_size 0.0" in text, ours
    assert "creditbank_checkpoint_age_seconds" in text
    # Its value is the last audit's in this process (other tests' audits fail on purpose).
    assert re.search(r"^creditbank_audit_failed [01]\.0$", text, re.MULTILINE)


def test_verification_bodies_have_a_tighter_bound(settings: Settings, services: Services) -> None:
    app = _app(settings, services, OperationsSettings(max_verify_body_bytes=4096))
    client = app.test_client()
    big = b'{"a": "' + b"x" * 5000 + b'"}'
    for path in ("/api/v1/verify", "/verify"):
        answer = client.post(path, data=big, content_type="application/json")
        assert answer.status_code == 413, path
    streamed = client.post(
        "/api/v1/verify",
        input_stream=io.BytesIO(big),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},  # no Content-Length, as if chunked
    )
    assert streamed.status_code == 413
    assert "4096-byte limit" in streamed.get_json()["detail"]
    # Other endpoints keep the general limit.
    assert (
        client.post("/api/v1/records", data=big, content_type="application/json").status_code == 401
    )
