"""The load test's after-run checks find a missing, a phantom and a mis-answered record."""

from __future__ import annotations

from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.demo import DEMO_KEYS, load_demo
from creditbank.wiring import Services
from scripts.load.checks import check_records
from scripts.load.clients import BatchOutcome, _record
from tests.api.world import bearer


def _post(client: FlaskClient, learner: str, ids: list[str], key: str) -> dict[str, object]:
    body = {"records": [_record(learner, ext, n) for n, ext in enumerate(ids)]}
    headers = {**bearer(DEMO_KEYS["cq-gz-poster"][2]), "Idempotency-Key": key}
    answer = client.post("/api/v1/records", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    response: dict[str, object] = answer.get_json()
    return response


def test_checks_pass_on_what_was_posted_and_name_each_fault(
    client: FlaskClient, services: Services
) -> None:
    load_demo(services, now=utc_now())
    # The served instance as the load test knows it: its folder (keys) and database.
    env = {
        "CREDITBANK_INSTANCE": str(services.settings.instance_path),
        "CREDITBANK_DATABASE_URL": services.settings.database_url,
    }
    learners = client.get(
        "/api/v1/consents", headers=bearer(DEMO_KEYS["cq-gz-registrar"][2])
    ).get_json()["learners"]
    posted = BatchOutcome("a", ["lt-0-0-0", "lt-0-0-1"], acknowledged=True)
    posted.response = _post(client, learners[0], posted.external_ids, "a")
    assert check_records(env, [posted]) == []

    missing = BatchOutcome(
        "b", ["lt-0-1-0"], acknowledged=True, response={"records": [{"id": "x"}]}
    )
    never_sent = BatchOutcome("c", ["lt-0-2-0"])
    _post(client, learners[0], never_sent.external_ids, "c")
    found = check_records(env, [posted, missing])
    assert "batch b: acknowledged, 1 records missing" in found
    assert "batch b: the record ids answered are not stored" in found
    assert any("1 records stored that no client sent (e.g. lt-0-2-0)" in v for v in found)
    assert check_records(env, [posted, never_sent]) == []
