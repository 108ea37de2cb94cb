"""The policy pages through the test client: versions listed, an upload checked with its
impact against the hand-built case of the API tests, published, then chosen by intake on the
registrar's form."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from creditbank.wiring import Services
from tests.api.test_policy_publishing import (  # the same instance and learners
    FIVE_YEAR,
    V2027,
    V2027_CASES,
    _evaluate,
    settings,
    world,
)
from tests.api.world import World
from tests.web.conftest import csrf_token, post_form

__all__ = ["settings", "world"]  # fixtures used by name


def _sign_in(client: FlaskClient, secret: str) -> None:
    answer = post_form(client, "/signin", {"form": "staff", "api_key": secret})
    assert answer.status_code == 302  # type: ignore[attr-defined]


def _figure(page: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', page)
    assert found is not None, name
    return found.group(1)


def test_upload_impact_publish_and_the_registrar_form(
    world: World, services: Services, client: FlaskClient
) -> None:
    assert world.post(f"/api/v1/policies/{FIVE_YEAR}/publish", "operator", {}).status_code == 200
    for name in ("li", "wang"):
        committed = _evaluate(world, name, commit=True, on="2026-10-01", intake=2026)
        assert committed.status_code == 201
    _sign_in(client, world.keys["adminA"])
    listing = client.get("/admin/policies").get_data(as_text=True)
    assert f'id="version-{FIVE_YEAR}-2026.1"' in listing
    assert "2026-09-01 – 至今" in listing

    # A broken file: the error page names the key path and its line; nothing is kept.
    broken = V2027.read_text(encoding="utf-8").replace("[caps]", "[caps", 1)
    refused = client.post(
        "/admin/policies/upload",
        data={
            "csrf_token": csrf_token(client, "/admin/policies"),
            "policy": (io.BytesIO(broken.encode()), "v2027.toml"),
            "cases": (io.BytesIO(V2027_CASES.read_bytes()), "v2027.cases.toml"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    line = 1 + broken.splitlines().index("[caps")
    assert f"第 {line} 行" in refused.get_data(as_text=True)

    sent = client.post(
        "/admin/policies/upload",
        data={
            "csrf_token": csrf_token(client, "/admin/policies"),
            "policy": (io.BytesIO(V2027.read_bytes()), "v2027.toml"),
            "cases": (io.BytesIO(V2027_CASES.read_bytes()), "v2027.cases.toml"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    draft_url = sent.headers["Location"]
    page = client.get(draft_url).get_data(as_text=True)
    assert _figure(page, "impact-evaluations") == "2"
    assert (_figure(page, "impact-up"), _figure(page, "impact-down")) == ("1", "1")
    assert (_figure(page, "impact-credits-up"), _figure(page, "impact-credits-down")) == (
        "+3",
        "−2",
    )
    assert world.learners["li"] in page and world.learners["wang"] in page
    rows = client.get(draft_url + "/impact.csv").get_data(as_text=True).splitlines()
    assert rows[0].startswith("learner_id,evaluation_id,credits_before,credits_after,change")
    assert len(rows) == 3

    published = post_form(client, draft_url + "/publish", {}, page=draft_url)
    assert published.status_code == 302  # type: ignore[attr-defined]
    assert "已发布，账本序号" in client.get(draft_url).get_data(as_text=True)

    # The registrar's form: the intake chooses the version, shown with the result.
    other = client.application.test_client()
    _sign_in(other, world.keys["registrarA"])
    path = f"/registrar/learners/{world.learners['li']}"
    assert "policy-versions" in other.get(path).get_data(as_text=True)
    answer = post_form(
        other,
        f"{path}/evaluate",
        {"policy": FIVE_YEAR, "on": "2027-10-01", "intake": "2027", "action": "what-if"},
        page=path,
    )
    body = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'id="result-version">2027.1<' in body
    assert _figure(body, "recognised") == "13"
    assert services.catalogue.version(FIVE_YEAR, "2027.1").origin == "database"
