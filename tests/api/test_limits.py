"""Rate limits: shared storage, keyed by who authenticated, failed sign-ins limited per address.

Clients are told apart by the address the test client reports (``REMOTE_ADDR``); no traffic
leaves the process, except to the local Redis in the last test.
"""

from __future__ import annotations

import secrets
import socket
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditbank.app import create_app
from creditbank.config import Settings
from creditbank.operations.settings import OperationsSettings, operations_from_env
from creditbank.wiring import EXTENSION, Services
from tests.api.world import World, bearer, build_world, resident_id

REDIS = "redis://127.0.0.1:6379/0"
ATTACKER, OWNER = "127.0.0.66", "127.0.0.7"
PROTECTED = "/api/v1/institutions/CQ-GZ-001/clients"  # institution A's admins only


def _app(settings: Settings, services: Services, **limits: Any) -> Flask:
    app = create_app(
        {
            "instance_path": settings.instance_path,
            "database_url": settings.database_url,
            "log_origin": settings.log_origin,
            "operations": OperationsSettings(**limits),
        }
    )
    app.config["TESTING"] = True
    app.extensions[EXTENSION].set(services)
    return app


@pytest.fixture
def world(client: FlaskClient, services: Services) -> World:
    return build_world(client, services)  # through the unlimited application


def _get(client: FlaskClient, secret: str | None, address: str, path: str = PROTECTED) -> int:
    return client.get(
        path, headers=bearer(secret), environ_base={"REMOTE_ADDR": address}
    ).status_code


def _random_key() -> str:
    return f"cbk_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


def _wrong_secret(real: str) -> str:
    prefix, key_id, _ = real.split("_", 2)
    return f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"


def test_random_key_ids_do_not_open_fresh_allowances(
    world: World, settings: Settings, services: Services
) -> None:
    app = _app(
        settings,
        services,
        rate_limit_per_second=0.01,
        rate_limit_burst=3,
        auth_failures_per_minute=0,
    )
    client = app.test_client()
    answers = [_get(client, _random_key(), ATTACKER) for _ in range(5)]
    assert answers == [401, 401, 401, 429, 429]
    # Anonymous requests from that address share the same allowance, on any route.
    assert _get(client, None, ATTACKER, "/api/v1/log/checkpoint") == 429
    assert _get(client, None, "127.0.0.8", "/api/v1/log/checkpoint") == 200


def test_a_wrong_secret_flood_does_not_lock_out_the_real_key(
    world: World, settings: Settings, services: Services
) -> None:
    app = _app(
        settings,
        services,
        rate_limit_per_second=0.1,
        rate_limit_burst=15,
        auth_failures_per_minute=5,
    )
    client = app.test_client()
    real = world.keys["adminA"]
    flood = [_get(client, _wrong_secret(real), ATTACKER) for _ in range(12)]
    assert flood == [401] * 5 + [429] * 7
    limited = client.get(
        PROTECTED,
        headers=bearer(_wrong_secret(real)),
        environ_base={"REMOTE_ADDR": ATTACKER},
    )
    body = limited.get_json()
    assert body["type"] == "urn:creditbank:problem:rate-limited"
    assert "failed authentications" in body["detail"] and int(limited.headers["Retry-After"]) >= 1
    # The key's owner, from their own address, still has the key's whole allowance (had the
    # 13 refused requests counted against the key, fewer than 15 would be left).
    assert [_get(client, real, OWNER) for _ in range(16)] == [200] * 15 + [429]
    # Anonymous reading from the flooding address is not a credential attempt.
    assert _get(client, None, ATTACKER, "/healthz") == 200


def test_failed_password_sign_ins_are_limited_per_address(
    world: World, settings: Settings, services: Services
) -> None:
    app = _app(settings, services, auth_failures_per_minute=3)
    client = app.test_client()
    wrong = {
        "document": {"kind": "resident_id", "number": world.documents["li"]},
        "password": "x" * 12,
    }
    answers = [
        client.post(
            "/api/v1/sessions", json=wrong, environ_base={"REMOTE_ADDR": ATTACKER}
        ).status_code
        for _ in range(5)
    ]
    assert answers == [401, 401, 401, 429, 429]
    right = {**wrong, "password": "chongqing-2026"}
    assert (
        client.post("/api/v1/sessions", json=right, environ_base={"REMOTE_ADDR": OWNER}).status_code
        == 201
    )


def test_self_registrations_are_limited_per_address(
    world: World, settings: Settings, services: Services
) -> None:
    app = _app(settings, services, registrations_per_hour=2, auth_failures_per_minute=0)
    client = app.test_client()

    def register(address: str, sequence: int) -> int:
        number = resident_id(birth="20080808", sequence=f"{sequence:03d}")
        body = {
            "name": "某人",
            "document": {"kind": "resident_id", "number": number},
            "password": "a-chosen-password-7",
        }
        return client.post(
            "/api/v1/learners", json=body, environ_base={"REMOTE_ADDR": address}
        ).status_code

    assert [register(ATTACKER, n) for n in range(1, 5)] == [202, 202, 429, 429]
    assert register(OWNER, 9) == 202  # another address has its own allowance
    # An institution opening accounts is not a self-registration and is not counted.
    poster = world.keys["posterA"]
    opened = [
        client.post(
            "/api/v1/learners",
            json={
                "name": "新生",
                "document": {"kind": "resident_id", "number": resident_id(sequence=f"7{n:02d}")},
            },
            headers=bearer(poster),
            environ_base={"REMOTE_ADDR": ATTACKER},
        ).status_code
        for n in range(3)
    ]
    assert opened == [201, 201, 201]


@pytest.mark.parametrize("trusted", [0, 1])
def test_clients_behind_the_proxy_are_told_apart_only_when_it_is_trusted(
    world: World, settings: Settings, services: Services, trusted: int
) -> None:
    app = _app(
        settings,
        services,
        rate_limit_per_second=0.01,
        rate_limit_burst=2,
        auth_failures_per_minute=0,
        trusted_proxies=trusted,
    )
    client = app.test_client()

    def via_proxy(client_address: str) -> int:
        return client.get(
            "/api/v1/log/checkpoint",
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).status_code

    first = [via_proxy("127.0.1.1") for _ in range(3)]
    second = via_proxy("127.0.1.2")
    assert first == [200, 200, 429]
    # Trusted: another client behind nginx has its own allowance. Untrusted: the header
    # is ignored (a client cannot pick its address), so everyone is the proxy.
    assert second == (200 if trusted else 429)


def test_settings_from_the_environment() -> None:
    read = operations_from_env(
        {
            "CREDITBANK_RATE_LIMIT_STORAGE": REDIS,
            "CREDITBANK_TRUSTED_PROXIES": "1",
            "CREDITBANK_AUTH_FAILURES_PER_MINUTE": "10",
            "CREDITBANK_REGISTRATIONS_PER_HOUR": "4",
        }
    )
    assert read.registrations_per_hour == 4
    assert (read.rate_limit_storage, read.trusted_proxies, read.auth_failures_per_minute) == (
        REDIS,
        1,
        10,
    )
    assert operations_from_env({}).rate_limit_storage == "memory://"
    with pytest.raises(Exception, match="CREDITBANK_RATE_LIMIT_STORAGE"):
        operations_from_env({"CREDITBANK_RATE_LIMIT_STORAGE": "memcached://x"})


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_two_instances_share_the_limit_in_redis(
    world: World, settings: Settings, services: Services
) -> None:
    if not _redis_reachable():
        pytest.skip("no Redis answers at 127.0.0.1:6379 (start redis-server to run this test)")
    limits = {
        "rate_limit_per_second": 0.01,
        "rate_limit_burst": 4,
        "rate_limit_storage": REDIS,
        "rate_limit_prefix": f"creditbank-test-{uuid.uuid4().hex}",
    }
    one = _app(settings, services, **limits).test_client()
    two = _app(settings, services, **limits).test_client()
    key = world.keys["adminA"]
    answers = [
        _get(one, key, OWNER),
        _get(two, key, OWNER),
        _get(one, key, OWNER),
        _get(two, key, OWNER),
    ]
    assert answers == [200, 200, 200, 200]
    assert _get(one, key, OWNER) == 429 and _get(two, key, OWNER) == 429
    # Per caller: another key is unaffected in both.
    assert _get(two, world.keys["adminB"], OWNER) == 403  # its own allowance; not its clients
