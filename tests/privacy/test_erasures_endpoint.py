"""``GET /api/v1/log/erasures``: which entries' openings were erased, for verifiers."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient

from creditbank.ledger.erasure import erase_opening
from creditbank.ledger.sequencer import NewEntry
from creditbank.storage.database import write_transaction
from creditbank.wiring import Services


def test_it_answers_indices_and_times_only_and_refuses_bad_lists(
    client: FlaskClient, services: Services
) -> None:
    services.ledger.append([NewEntry("consent.granted", "learner", {"n": n}) for n in range(3)])
    with write_transaction(services.engine) as connection:
        erase_opening(connection, 1, reason="test", now=datetime(2027, 1, 6, 3, 0, tzinfo=UTC))
    answer = client.get("/api/v1/log/erasures?indices=0,1,2,99")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "erasures": [{"index": 1, "erased_at": "2027-01-06T03:00:00.000Z"}]
    }
    for bad in (
        "",
        "?indices=",
        "?indices=1,x",
        "?indices=-1",
        "?indices=" + ",".join(["1"] * 201),
    ):
        refused = client.get("/api/v1/log/erasures" + bad)
        assert refused.status_code == 400, bad
        assert refused.get_json()["errors"][0]["field"] == "indices"
