"""Fixtures for the web pages: the demonstration bank and signed-in browsers (test clients)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from creditbank.demo import DEMO_KEYS, DEMO_PASSWORD, LEARNERS
from creditbank.wiring import Services
from tests import templates

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def demo(services: Services, request: pytest.FixtureRequest) -> Services:
    """The demonstration data: nine institutions, six learners, every role's key.

    On SQLite the instance was copied from a session template that holds it already.
    """
    if request.node.stash.get(templates.SEEDED_FROM, None) != "demo":
        templates.demo(services)
    return services


def csrf_token(client: FlaskClient, path: str = "/signin") -> str:
    """The CSRF token a page's forms carry."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], page: str = "/signin"
) -> object:
    """POST a form with the CSRF token of ``page``."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def staff(client: FlaskClient, label: str) -> FlaskClient:
    """Sign ``client`` in with a demo API key."""
    response = post_form(client, "/signin", {"form": "staff", "api_key": DEMO_KEYS[label][2]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def learner(client: FlaskClient, number: int = 0) -> FlaskClient:
    """Sign ``client`` in as a demo learner (李明 by default)."""
    response = post_form(
        client,
        "/signin",
        {
            "form": "learner",
            "document_kind": "resident_id",
            "document_number": LEARNERS[number].document_number,
            "password": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
