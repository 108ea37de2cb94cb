"""Posting, reading, correcting and revoking records through the HTTP API."""

from __future__ import annotations

import pytest

from tests.api.world import World, course


@pytest.fixture
def world(base_world: World) -> World:
    return base_world


def test_post_read_correct_revoke(world: World, engine_name: str) -> None:
    li = world.learners["li"]
    before = world.size()
    posted = world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": li, **course()}]},
        **{"Idempotency-Key": "batch-1"},
    )
    assert posted.status_code == 201, posted.get_json()
    body = posted.get_json()
    assert body["size"] == before + 1
    record_id = body["records"][0]["id"]
    assert body["records"][0]["index"] == before

    shown = world.get(f"/api/v1/records/{record_id}", "posterA").get_json()
    assert shown["outcome"]["grade"] == {"scale": "percent", "value": "86"}
    corrected = world.post(
        f"/api/v1/records/{record_id}/corrections",
        "posterA",
        {"outcome": course(grade={"scale": "percent", "value": "91"}), "reason": "登分错误"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["version"] == 2
    revoked = world.post(f"/api/v1/records/{record_id}/revocation", "posterA", {"reason": "撤销"})
    assert revoked.get_json()["status"] == "revoked"
    history = world.get(f"/api/v1/records/{record_id}?history=true", "li").get_json()["history"]
    assert [v["action"] for v in history] == ["posted", "corrected", "revoked"]
    assert world.size() == before + 3
